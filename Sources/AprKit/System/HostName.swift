import Glibc

/// This machine's name, as the deploy log records where a file was patched.
public func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return name.isEmpty ? "localhost" : name
}
