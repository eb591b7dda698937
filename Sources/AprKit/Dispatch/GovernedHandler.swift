import Glibc

/// A handler file apr-execute may run: below a registered patch root, and
/// holding exactly the bytes of the last successful governed deploy of its
/// path. The bytes are copied once, hashed as they are copied, into a
/// private file beside the handler; that copy is what runs, so what ran is
/// what was checked. Anything else runs nothing and is a STOP
/// (handler_not_governed) that names the file and its hash.
struct GovernedHandler {
    let handler: ExternalHandler
    /// The private copy that runs, removed by `discard()`.
    let runnable: ExternalHandler
    let sha256: String
    let deployId: Int64?
    private let dir: TargetDirectory
    private let copyName: String

    static func prepare(_ handler: ExternalHandler, on connection: Connection) throws -> GovernedHandler {
        let row = try JSONObject.fromDatabase(
            connection.execute("SELECT apr_governed_handler($1)", [handler.path]).value(0, 0))
        guard let root = row["target"]?.objectValue?["root"]?.stringValue else {
            throw notGoverned(handler, "is below no registered patch root, so no governed deploy installed it", sha256: nil)
        }
        let dir = try TargetDirectory(filePath: handler.path, root: root)
        guard let info = try dir.inspect(), (info.st_mode & S_IFMT) == S_IFREG else {
            throw notGoverned(handler, "is not a regular file", sha256: nil)
        }
        let copy = try dir.copyToTemp(dir.name)
        let deploy = row["deploy"]?.objectValue
        let approved = deploy?["sha256_after"]?.stringValue
        guard copy.digest.sha256 == approved else {
            dir.remove(copy.name)
            let why = approved.map { "hashes to \(copy.digest.sha256), not to \($0), the bytes of its last governed deploy" }
                ?? "has never been deployed through a governed patch_ops_code APR"
            throw notGoverned(handler, why, sha256: copy.digest.sha256)
        }
        guard fchmodat(dir.fd, copy.name, 0o700, 0) == 0 else {
            let code = errno
            dir.remove(copy.name)
            throw ioError("make the copy of \(handler.path) executable", code)
        }
        return GovernedHandler(handler: handler, runnable: ExternalHandler(arm: handler.arm, path: dir.pathOf(copy.name)),
                               sha256: copy.digest.sha256, deployId: deploy?["id"]?.integerValue, dir: dir,
                               copyName: copy.name)
    }

    func discard() { dir.remove(copyName) }

    private static func notGoverned(_ handler: ExternalHandler, _ why: String, sha256: String?) -> Refusal {
        Refusal("handler_not_governed", "\(handler.path) \(why): apr-execute runs nothing",
                details: ["handler": .string(handler.path), "sha256": .string(orNull: sha256)])
    }
}
