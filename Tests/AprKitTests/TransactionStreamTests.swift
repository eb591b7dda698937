import AprKit
import XCTest
import _AprTestSupport

/// TransactionStream: pipelined transactions, each its own, answered in
/// order; flush points commit as the session's setting says.
final class TransactionStreamTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase(migrate: false) }
    override func tearDown() { db = nil }

    func drain(_ stream: TransactionStream<Int>) -> [(Int, Result<[QueryResult], PGError>?)] {
        var answers: [(Int, Result<[QueryResult], PGError>?)] = []
        while let (item, answer) = stream.next(waiting: true) { answers.append((item, answer)) }
        return answers
    }

    /// A flush point's transaction runs with the session's own
    /// synchronous_commit, every other one without waiting for the flush;
    /// the session gets its settings back when the stream ends.
    func testAFlushPointCommitsAsTheSessionSays() throws {
        let connection = try db.connect()
        let probe = [Statement("SELECT current_setting('synchronous_commit') || ' ' || current_setting('transaction_isolation')")]
        try connection.execute("SET default_transaction_isolation = 'serializable'")
        do {
            let stream = TransactionStream<Int>(connection: connection, window: 8)
            stream.submit(0, probe)
            stream.submit(1, probe, flushPoint: true)
            let answers = drain(stream)
            XCTAssertEqual(answers.map { try? $0.1?.get().first?.value(0, 0) },
                           ["off read committed", "on read committed"])
        }
        XCTAssertEqual(try connection.execute("SELECT current_setting('synchronous_commit')").value(0, 0), "on")
        XCTAssertEqual(try connection.execute("SELECT current_setting('default_transaction_isolation')").value(0, 0), "serializable")
    }

    /// An error rolls back its own transaction only; the answers come in
    /// submission order, items without statements in their turn.
    func testAFailingTransactionTouchesNoNeighbour() throws {
        let connection = try db.connect()
        try connection.execute("CREATE TABLE t (n int PRIMARY KEY)")
        let stream = TransactionStream<Int>(connection: connection, window: 4)
        for n in 0..<20 {
            if n % 5 == 3 {
                stream.submit(n, nil)
            } else {
                // n % 5 == 1 inserts a row, then fails: the row goes with it.
                let sql = n % 5 == 1 ? "INSERT INTO t VALUES (\(n)); SELECT 1/0" : "INSERT INTO t VALUES (\(n))"
                stream.submit(n, sql.split(separator: ";").map { Statement(String($0)) })
            }
        }
        let answers = drain(stream)
        XCTAssertEqual(answers.map(\.0), Array(0..<20))
        for (n, answer) in answers {
            switch n % 5 {
            case 1:
                guard case .failure(let error)? = answer else { return XCTFail("\(n) must fail") }
                XCTAssertEqual(error.sqlstate, "22012")
            case 3: XCTAssertNil(answer)
            default:
                guard case .success? = answer else { return XCTFail("\(n) must commit") }
            }
        }
        XCTAssertEqual(try connection.execute("SELECT string_agg(n::text, ',' ORDER BY n) FROM t").value(0, 0),
                       "0,2,4,5,7,9,10,12,14,15,17,19")
    }
}
