import Glibc

/// Where apr-execute finds an arm: built into apr-execute (the arms whose
/// effect the database records in one transaction, and the patch arm), or
/// else a handler file named after the arm in the handlers directory
/// (`APR_HANDLERS_DIR`, by default /usr/local/libexec/aprkit/handlers). A
/// built-in arm takes precedence over a file of its name. A handler file
/// runs only when its bytes are those of the last governed deploy of its
/// path (see GovernedHandler).
public struct ArmRegistry: Sendable {
    public static let defaultHandlersDirectory = "/usr/local/libexec/aprkit/handlers"
    /// The executor part of every handler_ref apr-execute answers to.
    public static let executor = "apr-execute"

    public enum Resolution: Sendable {
        case builtIn(any BuiltInArm)
        case external(ExternalHandler)
        /// No arm answers to the name (refused as arm_not_implemented): why, in one line.
        case unresolved(String)
    }

    public let handlersDirectory: String

    public init(handlersDirectory: String? = nil) {
        let fromEnvironment = getenv("APR_HANDLERS_DIR").map { String(cString: $0) }
        self.handlersDirectory = handlersDirectory ?? fromEnvironment.flatMap { $0.isEmpty ? nil : $0 }
            ?? ArmRegistry.defaultHandlersDirectory
    }

    /// The arm a handler_ref names, if it is one of apr-execute's.
    public static func arm(of handlerRef: String) -> String? {
        let parts = handlerRef.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == executor, isArmName(parts[1]) else { return nil }
        return String(parts[1])
    }

    /// `[a-z][a-z0-9_]*`, at most 63 bytes: also a safe file name.
    public static func isArmName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, first >= 0x61 && first <= 0x7A, name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    public func resolve(handlerRef: String) -> Resolution {
        guard let arm = ArmRegistry.arm(of: handlerRef) else {
            return .unresolved("\(handlerRef) is not an arm of \(ArmRegistry.executor)")
        }
        return resolve(arm: arm)
    }

    public func resolve(arm: String) -> Resolution {
        if let builtIn = BuiltInArms.named(arm) { return .builtIn(builtIn) }
        let handler = ExternalHandler(arm: arm, path: handlersDirectory + "/" + arm)
        guard handler.exists else { return .unresolved("no built-in arm \(arm) and no handler file \(handler.path)") }
        // A file that is there but cannot run is a broken arm, not a
        // reason to fall back to other code.
        guard handler.isExecutable else { return .unresolved("\(handler.path) is not an executable file") }
        return .external(handler)
    }

    /// The handler files in the handlers directory whose names are arm names,
    /// sorted; none when the directory does not exist.
    public func externalHandlers() -> [ExternalHandler] {
        guard let dir = opendir(handlersDirectory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if ArmRegistry.isArmName(Substring(name)) { names.append(name) }
        }
        return names.sorted().map { ExternalHandler(arm: $0, path: handlersDirectory + "/" + $0) }
    }
}
