/// Verification of the hash-chained ledger. The formula is recomputed here,
/// in the query text the tool sends, not by a function stored in the
/// database, so a tampered database cannot vouch for itself.
public struct Ledger {
    public struct Verification: Sendable {
        public let rows: Int64
        public let headSeq: Int64
        public let headHash: String
        /// The first row that breaks the chain, and how.
        public let firstBadSeq: Int64?
        public let problem: String?

        public var intact: Bool { firstBadSeq == nil && problem == nil }

        public var json: JSONObject {
            [
                "intact": .bool(intact), "rows": .integer(rows), "head_seq": .integer(headSeq),
                "head_hash": .string(headHash),
                "first_bad_seq": firstBadSeq.map { .integer($0) } ?? .null,
                "problem": .string(orNull: problem),
            ] as JSONObject
        }
    }

    static let verifySQL = """
        WITH chain AS (
            SELECT seq, hash, prev_hash,
                   row_number() OVER w AS n,
                   lag(hash, 1, repeat('0', 64)) OVER w AS expected_prev,
                   encode(sha256(convert_to(concat_ws('|', prev_hash, seq::text, event,
                       coalesce(apr_code, ''), coalesce(subject, ''), actor, payload::text,
                       (extract(epoch FROM created_at) * 1000000)::bigint::text), 'UTF8')), 'hex') AS expected_hash
              FROM gov_ledger
            WINDOW w AS (ORDER BY seq)
        ), bad AS (
            SELECT seq, CASE WHEN seq <> n THEN 'sequence_gap'
                             WHEN prev_hash <> expected_prev THEN 'prev_hash_mismatch'
                             ELSE 'hash_mismatch' END AS problem
              FROM chain
             WHERE seq <> n OR prev_hash <> expected_prev OR hash <> expected_hash
             ORDER BY seq LIMIT 1
        ), last AS (
            SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1
        )
        SELECT (SELECT count(*) FROM gov_ledger),
               coalesce((SELECT seq FROM last), 0),
               coalesce((SELECT hash FROM last), repeat('0', 64)),
               (SELECT seq FROM bad), (SELECT problem FROM bad),
               h.seq, h.hash
          FROM gov_ledger_head h
        """

    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Checks every link: contiguous sequence numbers, each row's prev_hash
    /// equal to the hash before it, each hash recomputed from the row, and
    /// the head record agreeing with the last row.
    public func verify() throws -> Verification {
        let r = try connection.execute(Ledger.verifySQL)
        guard r.rowCount == 1 else {
            return Verification(rows: 0, headSeq: 0, headHash: "", firstBadSeq: nil, problem: "head_missing")
        }
        let lastSeq = Int64(r.value(0, 1)!)!
        let lastHash = r.value(0, 2)!
        var badSeq = r.value(0, 3).flatMap { Int64($0) }
        var problem = r.value(0, 4)
        let headSeq = Int64(r.value(0, 5)!)!
        let headHash = r.value(0, 6)!
        if badSeq == nil, headSeq != lastSeq || headHash != lastHash {
            badSeq = min(headSeq, lastSeq) + 1
            problem = "head_mismatch"
        }
        return Verification(rows: Int64(r.value(0, 0)!)!, headSeq: lastSeq, headHash: lastHash,
                            firstBadSeq: badSeq, problem: problem)
    }
}
