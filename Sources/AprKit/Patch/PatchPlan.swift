/// What the database says about one patch_ops_code APR before a file is
/// touched: its approved payload, the registered root its file falls under,
/// and its deploy-log rows (as `patch_plan` / `patch_restore_plan` return it).
struct PatchPlan {
    let aprCode: String
    let status: String
    let filePath: String
    /// The approved bytes as the database decoded them from the payload's
    /// Base64, in hex; empty when the plan was read without them.
    let contentHex: String
    let contentSha256: String?
    let expectedSha256Before: String?
    let root: String
    let checks: PatchChecks
    let maxBytes: Int
    /// Deploy-log rows of this APR, newest first.
    let deploys: [JSONObject]

    init(_ json: JSONObject) throws {
        guard let aprCode = json["apr_code"]?.stringValue, let status = json["status"]?.stringValue,
              let filePath = json["file_path"]?.stringValue,
              let target = json["target"]?.objectValue, let root = target["root"]?.stringValue,
              let syntaxCheck = target["syntax_check"]?.stringValue, let postCheck = target["post_check"]?.stringValue,
              let maxBytes = target["max_bytes"]?.integerValue
        else { throw Refusal("internal_error", "the database returned an incomplete patch plan") }
        self.aprCode = aprCode
        self.status = status
        self.filePath = filePath
        contentHex = json["new_content_hex"]?.stringValue ?? ""
        contentSha256 = json["new_content_sha256"]?.stringValue
        expectedSha256Before = json["expected_sha256_before"]?.stringValue
        self.root = root
        checks = PatchChecks(syntaxCheck: syntaxCheck, postCheck: postCheck)
        self.maxBytes = Int(maxBytes)
        deploys = json["deploys"]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    /// The newest deploy-log row with this status.
    func lastDeploy(_ status: String) -> JSONObject? {
        deploys.first { $0["status"]?.stringValue == status }
    }

    /// The approved bytes: decoded by the database (the one Base64 decision,
    /// the same that accepted the proposal), within the root's size limit,
    /// and hashing to the sha256 in the approved payload. They are checked
    /// again here because these are the bytes about to be written.
    func content() throws -> Candidate {
        // Refuse an oversized payload before decoding it.
        if contentHex.utf8.count / 2 > maxBytes { throw tooLarge("\(contentHex.utf8.count / 2)") }
        guard let bytes = Hex.decode(contentHex) else {
            throw Refusal("internal_error", "\(aprCode): the database returned content that is not hex")
        }
        let digest = FileDigest(of: bytes)
        guard digest.sha256 == contentSha256 else {
            throw Refusal("content_hash_mismatch",
                          "\(aprCode): the content hashes to \(digest.sha256), not to the approved \(contentSha256 ?? "(none)")")
        }
        return Candidate(bytes: bytes, digest: digest)
    }

    private func tooLarge(_ size: String) -> Refusal {
        Refusal("content_too_large",
                "\(aprCode): the content is about \(size) bytes, over the \(maxBytes)-byte limit of \(root)")
    }
}

/// The approved bytes a patch installs, with their digest.
struct Candidate {
    let bytes: [UInt8]
    let digest: FileDigest
}
