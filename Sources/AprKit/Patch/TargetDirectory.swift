import Glibc

/// The directory a patch target lives in, checked once and then used only
/// through its descriptor (openat, renameat, …), so every later step acts on
/// the directory that was checked even if a path component is swapped for a
/// link meanwhile.
///
/// Beside the target `NAME` it keeps patch-apply's working files:
/// `.NAME.aprkit-lock` (the flock), `.NAME.aprkit-tmp.*` (temp files, removed
/// by the next run) and `.NAME.aprkit-backup.APR-n` (one backup per APR).
final class TargetDirectory {
    /// The directory's real path (no links).
    let path: String
    let fd: Int32
    /// The target's file name in the directory.
    let name: String

    /// Resolves `filePath` under the registered `root`: its parent must exist
    /// and, with every link resolved, still be below the root's real path.
    init(filePath: String, root: String) throws {
        guard let slash = filePath.lastIndex(of: "/"), filePath.index(after: slash) < filePath.endIndex else {
            throw Refusal("path_not_canonical", "\(filePath) is not a file path")
        }
        let parent = slash == filePath.startIndex ? "/" : String(filePath[..<slash])
        name = String(filePath[filePath.index(after: slash)...])
        guard let realRoot = realPath(root) else {
            throw Refusal("missing_parent", "the registered root \(root) does not exist")
        }
        guard let realParent = realPath(parent) else {
            throw Refusal("missing_parent", "\(parent) does not exist or is not a directory")
        }
        guard TargetDirectory.isWithin(realParent, realRoot) else {
            throw Refusal("symlink_escape", "\(parent) resolves to \(realParent), outside the root \(realRoot)")
        }
        let fd = open(realParent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR || code == ELOOP {
                throw Refusal("missing_parent", "\(parent) does not exist or is not a directory")
            }
            throw ioError("open \(realParent)", code)
        }
        // A component swapped for a link between realpath and open would
        // land elsewhere: the descriptor must name the directory checked.
        guard TargetDirectory.opened(fd, is: realParent) else {
            close(fd)
            throw Refusal("symlink_escape", "\(parent) changed while it was being opened")
        }
        self.fd = fd
        path = realParent
    }

    deinit { close(fd) }

    var targetPath: String { path == "/" ? "/\(name)" : "\(path)/\(name)" }
    var lockName: String { ".\(name).aprkit-lock" }
    var tempPrefix: String { ".\(name).aprkit-tmp." }
    func backupName(for aprCode: String) -> String { ".\(name).aprkit-backup.\(aprCode)" }
    func pathOf(_ entry: String) -> String { path == "/" ? "/\(entry)" : "\(path)/\(entry)" }

    /// The target's metadata, or nil when there is no file yet. A link, a
    /// directory, a device, a FIFO or a socket is refused.
    func inspect(_ entry: String? = nil) throws -> stat? {
        let entry = entry ?? name
        var st = stat()
        guard fstatat(fd, entry, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw ioError("inspect \(pathOf(entry))", errno)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return st
        case S_IFLNK: throw Refusal("target_is_symlink", "\(pathOf(entry)) is a symbolic link")
        case S_IFDIR: throw Refusal("target_not_regular", "\(pathOf(entry)) is a directory")
        default: throw Refusal("target_not_regular", "\(pathOf(entry)) is not a regular file")
        }
    }

    /// Opens an entry of the directory without following a link.
    func openEntry(_ entry: String, _ flags: Int32, mode: mode_t = 0o600) -> Int32 {
        openat(fd, entry, flags | O_NOFOLLOW | O_CLOEXEC, mode)
    }

    /// The sha256 and size of an entry, or nil when it does not exist.
    func digest(of entry: String) throws -> FileDigest? {
        let file = openEntry(entry, O_RDONLY)
        guard file >= 0 else {
            if errno == ENOENT { return nil }
            throw ioError("read \(pathOf(entry))", errno)
        }
        defer { close(file) }
        return try FileDigest.copying(from: file, to: nil, path: pathOf(entry))
    }

    /// The names of every entry in the directory.
    func entries() throws -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { throw ioError("list \(path)", errno) }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if entryName != "." && entryName != ".." { names.append(entryName) }
        }
        return names
    }

    static func isWithin(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    /// Whether descriptor `fd` is the directory at `path`: by the kernel's
    /// own name for it where /proc is mounted, else by device and inode.
    static func opened(_ fd: Int32, is path: String) -> Bool {
        if let name = readLink("/proc/self/fd/\(fd)") { return name == path }
        var opened = stat(), named = stat()
        return fstat(fd, &opened) == 0 && lstat(path, &named) == 0
            && opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The real path of `path` (every link resolved), or nil when it does not
/// exist or is not a directory.
private func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    var st = stat()
    guard stat(resolved, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return nil }
    return String(cString: resolved)
}

/// A file system call failed: nothing was swapped (exit 70).
func ioError(_ what: String, _ code: Int32) -> Refusal {
    Refusal("io_error", "cannot \(what): \(String(cString: strerror(code)))")
}
