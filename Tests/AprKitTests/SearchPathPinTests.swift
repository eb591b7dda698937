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

    /// A first transaction that ends in a ROLLBACK the server accepts (no
    /// error on the way) takes the pin with it: the session must not count
    /// as pinned after it, or the statements after it run on the default.
    func testAPipelineRolledBackFirstLeavesTheNextStatementPinned() throws {
        let c = try unpinnedSession()
        let results = try c.pipeline([Statement("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
                                      Statement("SHOW search_path"), Statement("ROLLBACK")])
        XCTAssertEqual(results[1].value(0, 0), "public, pg_temp")
        XCTAssertEqual(try searchPath(c), "public, pg_temp")
    }

    func testATransactionOpenedFirstAndRolledBackCleanlyLeavesTheNextStatementPinned() throws {
        let c = try unpinnedSession()
        try c.execute("BEGIN")
        XCTAssertEqual(try searchPath(c), "public, pg_temp")
        try c.execute("ROLLBACK")
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

/// The diagnosis of a failed first statement (which took the pin with it)
/// runs pinned too: an operator planted ahead of pg_catalog in the session
/// default never runs in it.
final class SearchPathPinDiagnosisTests: XCTestCase {
    func testTheDiagnosisOfAFailedFirstStatementRunsPinned() throws {
        let db = try TestDatabase()
        try db.connect().executeScript("""
            CREATE SCHEMA planted;
            CREATE FUNCTION planted.eq(name, text) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS
                $$ BEGIN PERFORM set_config('planted.ran', 'yes', false); RETURN $1::text = $2; END $$;
            CREATE OPERATOR planted.= (LEFTARG = name, RIGHTARG = text, FUNCTION = planted.eq);
            GRANT USAGE ON SCHEMA planted TO PUBLIC;
            """)
        let c = try Connection(dbname: db.conninfo(as: "proposer") + " options='-c search_path=planted,pg_catalog,public'",
                               applicationName: "apr-quorum")
        c.explainsErrors = true
        XCTAssertThrowsError(try c.execute("SELECT public.apr_vote('APR-000001', 'approve', NULL)")) { error in
            XCTAssertEqual((error as? PGError)?.message, "not_an_approver")
        }
        XCTAssertNil(try c.execute("SELECT pg_catalog.current_setting('planted.ran', true)").value(0, 0))
    }
}
