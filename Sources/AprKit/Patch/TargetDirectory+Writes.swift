import Glibc

/// The writes a patch makes beside its target. Each new file is written under
/// a temp name, fsynced, and only then renamed into place, so a name always
/// holds a whole file; the directory is fsynced after every rename.
extension TargetDirectory {
    /// Mode of a file the patch creates (there was no file to copy it from):
    /// the targets are shell scripts that are run.
    static let newFileMode: mode_t = 0o755

    /// Creates a fresh temp file beside the target, open for writing.
    func createTemp() throws -> (name: String, fd: Int32) {
        while true {
            let tempName = tempPrefix + "\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
            let file = openEntry(tempName, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
            if file >= 0 { return (tempName, file) }
            if errno != EEXIST { throw ioError("create a temp file in \(path)", errno) }
        }
    }

    /// Writes `bytes` to a new temp file and fsyncs it; returns its name.
    func writeTemp(_ bytes: [UInt8]) throws -> String {
        let (tempName, file) = try createTemp()
        defer { close(file) }
        do {
            try bytes.withUnsafeBytes { try writeAll(file, $0, path: pathOf(tempName)) }
            try sync(file, tempName)
        } catch {
            remove(tempName)
            throw error
        }
        return tempName
    }

    /// Copies an entry to a new fsynced temp file; returns the temp's name and
    /// the digest of exactly the bytes copied.
    func copyToTemp(_ source: String) throws -> (name: String, digest: FileDigest) {
        let input = openEntry(source, O_RDONLY)
        guard input >= 0 else { throw ioError("read \(pathOf(source))", errno) }
        defer { close(input) }
        let (tempName, file) = try createTemp()
        defer { close(file) }
        do {
            let digest = try FileDigest.copying(from: input, to: file, path: pathOf(tempName))
            try sync(file, tempName)
            return (tempName, digest)
        } catch {
            remove(tempName)
            throw error
        }
    }

    /// Gives a temp file the owner and mode of the file it replaces (owner
    /// first: chown clears the set-id bits), or the new-file mode.
    func copyAttributes(from original: stat?, to tempName: String) throws {
        let file = openEntry(tempName, O_RDONLY)
        guard file >= 0 else { throw ioError("open \(pathOf(tempName))", errno) }
        defer { close(file) }
        if let original, fchown(file, original.st_uid, original.st_gid) != 0 {
            throw ioError("give \(pathOf(tempName)) the owner of \(targetPath)", errno)
        }
        let mode = original.map { $0.st_mode & 0o7777 } ?? TargetDirectory.newFileMode
        guard fchmod(file, mode) == 0 else { throw ioError("give \(pathOf(tempName)) its mode", errno) }
        try sync(file, tempName)
    }

    /// Puts `tempName` in the place of `entry` in one atomic rename. The
    /// caller makes it durable with `syncDirectory()`: a failing fsync after
    /// the rename must not be mistaken for a rename that did not happen.
    func rename(_ tempName: String, to entry: String) throws {
        guard renameat(fd, tempName, fd, entry) == 0 else {
            throw ioError("rename \(pathOf(tempName)) to \(pathOf(entry))", errno)
        }
    }

    /// Replaces `entry` with a copy of `source` the same atomic way a patch is
    /// installed, after checking that the copy hashes to `expectedSha256`;
    /// refuses with `backup_corrupt` (nothing replaced) when it does not.
    func replace(_ entry: String, withCopyOf source: String, expectedSha256: String,
                 attributesFrom original: stat?) throws -> FileDigest {
        let (temp, copied) = try copyToTemp(source)
        do {
            guard copied.sha256 == expectedSha256 else {
                throw Refusal("backup_corrupt",
                              "\(pathOf(source)) hashes to \(copied.sha256), not to the recorded \(expectedSha256)")
            }
            try copyAttributes(from: original, to: temp)
            try rename(temp, to: entry)
        } catch {
            remove(temp)
            throw error
        }
        try syncDirectory()
        return copied
    }

    /// Removes an entry and makes the removal durable.
    func removeDurably(_ entry: String) throws {
        guard unlinkat(fd, entry, 0) == 0 || errno == ENOENT else { throw ioError("remove \(pathOf(entry))", errno) }
        try syncDirectory()
    }

    /// Best-effort removal, for clean-up on a path that is already failing.
    func remove(_ entry: String) {
        _ = unlinkat(fd, entry, 0)
    }

    /// Removes the temp files a killed run left beside the target. Runs under
    /// the target's lock, so no live run owns them.
    func removeLeftoverTemps() throws -> Int {
        var removed = 0
        for entry in try entries() where entry.hasPrefix(tempPrefix) {
            var st = stat()
            guard fstatat(fd, entry, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            if unlinkat(fd, entry, 0) == 0 { removed += 1 }
        }
        if removed > 0 { try syncDirectory() }
        return removed
    }

    func syncDirectory() throws {
        guard fsync(fd) == 0 else { throw ioError("fsync \(path)", errno) }
    }

    func sync(_ file: Int32, _ entry: String) throws {
        guard fsync(file) == 0 else { throw ioError("fsync \(pathOf(entry))", errno) }
    }
}
