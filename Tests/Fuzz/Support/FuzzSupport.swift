// Compiled into every fuzz target beside the target's own file.
import Glibc

/// Stops the run when a property does not hold: libFuzzer reports the input
/// as a crash and writes it out.
func require(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    guard condition() else {
        let message = "fuzz: property violated at \(file):\(line): \(what())\n"
        _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        abort()
    }
}

/// The input as bytes.
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// A value as the property messages show it: escaped, cut short.
func shown(_ value: Any) -> String {
    String(String(reflecting: value).prefix(300))
}
