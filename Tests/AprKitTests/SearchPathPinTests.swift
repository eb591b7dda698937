import AprKit
import XCTest
import _AprTestSupport

/// The search_path pin rides with a session's first statement instead of a
/// round trip of its own. Whatever that statement is, and however its
/// transaction ends, every statement of the session runs pinned: a session
/// default (here `options=-c search_path=…`, as a role's `ALTER ROLE … SET`
/// or PGOPTIONS would give) never reaches one of them.
final class SearchPathPinTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase(migrate: false) }
    override func tearDown() { db = nil }

    /// A session whose default search_path starts with a schema of its own.
    private func unpinnedSession() throws -> Connection {
        try Connection(dbname: db.conninfo() + " options='-c search_path=planted,public'", applicationName: "aprkit-tests")
    }

    private func searchPath(_ c: Connection) throws -> String? { try c.execute("SHOW search_path").value(0, 0) }

    func testTheFirstStatementRunsPinned() throws {
        XCTAssertEqual(try searchPath(try unpinnedSession()), "public, pg_temp")
    }

    func testAPipelineAsFirstStatementsRunsPinned() throws {
        let c = try unpinnedSession()
        let results = try c.pipeline([Statement("SHOW search_path"), Statement("SELECT 1")])
        XCTAssertEqual(results.count, 2, "the pin's own result is not handed back")
        XCTAssertEqual(results[0].value(0, 0), "public, pg_temp")
        XCTAssertEqual(try c.transaction([Statement("SHOW search_path")])[0].value(0, 0), "public, pg_temp")
    }

    /// The pin shares the failed statement's transaction, so it was rolled
    /// back with it: the next statement carries it again.
    func testAFailedFirstStatementLeavesTheNextOnePinned() throws {
        let c = try unpinnedSession()
        XCTAssertThrowsError(try c.execute("SELECT 1/0"))
        XCTAssertEqual(try searchPath(c), "public, pg_temp")
    }

    /// A transaction opened by the first statement and rolled back takes the
    /// pin with it; the statements inside it and after it all run pinned,
    /// and an aborted transaction still takes its ROLLBACK.
    func testATransactionOpenedFirstAndRolledBackLeavesEveryStatementPinned() throws {
        let c = try unpinnedSession()
        try c.execute("BEGIN")
        XCTAssertEqual(try searchPath(c), "public, pg_temp")
        XCTAssertThrowsError(try c.execute("SELECT 1/0"))
        XCTAssertEqual(c.transactionStatus, .inError)
        try c.execute("ROLLBACK")
        XCTAssertEqual(c.transactionStatus, .idle)
        XCTAssertEqual(try searchPath(c), "public, pg_temp")
    }

    func testAScriptAsFirstStatementRunsPinned() throws {
        let c = try unpinnedSession()
        XCTAssertEqual(try c.executeScript("SHOW search_path").value(0, 0), "public, pg_temp")
        let c2 = try unpinnedSession()
        XCTAssertNil(c2.runScript("CREATE TEMP TABLE pinned AS SELECT current_setting('search_path') AS p").error)
        XCTAssertEqual(try c2.execute("SELECT p FROM pinned").value(0, 0), "public, pg_temp")
    }
}
