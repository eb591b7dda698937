import AprKit
import XCTest
import _AprTestSupport

/// LISTEN/NOTIFY on a Connection: a notification arrives at the notifier's
/// commit, a wait runs out on time, a dropped connection is told and can be
/// re-opened; and every ledger append notifies.
final class ListenerTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func testANotificationArrivesAtTheNotifiersCommit() throws {
        let listener = try db.connect()
        try listener.listen("aprkit test channel")
        let notifier = try db.connect()
        try notifier.execute("BEGIN")
        try notifier.execute("SELECT pg_notify('aprkit test channel', 'hello')")
        XCTAssertEqual(try listener.waitForNotifications(milliseconds: 200), [], "not before the commit")
        try notifier.execute("COMMIT")
        let started = MonotonicClock.now()
        let got = try listener.waitForNotifications(milliseconds: 5_000)
        XCTAssertLessThan(MonotonicClock.now() - started, 1_000)
        XCTAssertEqual(got.map(\.channel), ["aprkit test channel"])
        XCTAssertEqual(got.map(\.payload), ["hello"])
    }

    func testARolledBackNotifyIsNeverDelivered() throws {
        let listener = try db.connect()
        try listener.listen("c")
        let notifier = try db.connect()
        try notifier.execute("BEGIN")
        try notifier.execute("NOTIFY c, 'lost'")
        try notifier.execute("ROLLBACK")
        XCTAssertEqual(try listener.waitForNotifications(milliseconds: 300), [])
    }

    func testAWaitRunsOutOnTime() throws {
        let listener = try db.connect()
        try listener.listen("quiet")
        let started = MonotonicClock.now()
        XCTAssertEqual(try listener.waitForNotifications(milliseconds: 300), [])
        let took = MonotonicClock.now() - started
        XCTAssertGreaterThanOrEqual(took, 300)
        XCTAssertLessThan(took, 1_000)
        XCTAssertEqual(try listener.waitForNotifications(milliseconds: 0), [], "0: only what has arrived")
    }

    func testADroppedConnectionIsToldAndCanBeReset() throws {
        let listener = try db.connect()
        try listener.listen("c")
        let pid = try listener.execute("SELECT pg_backend_pid()").value(0, 0)!
        try db.scalar("SELECT pg_terminate_backend($1::int)", [pid])
        XCTAssertThrowsError(try listener.waitForNotifications(milliseconds: 5_000)) { error in
            XCTAssertEqual((error as? PGError)?.kind, .unavailable, "\(error)")
        }
        XCTAssertFalse(listener.isConnected)
        try listener.reset()
        XCTAssertTrue(listener.isConnected)
        XCTAssertEqual(try listener.execute("SHOW search_path").value(0, 0), "public, pg_temp", "the new session is pinned too")
        try listener.listen("c")  // a new session listens on nothing until told
        try db.scalar("SELECT pg_notify('c', 'again')")
        XCTAssertEqual(try listener.waitForNotifications(milliseconds: 5_000).map(\.payload), ["again"])
    }

    func testEveryLedgerAppendNotifiesItsSeqEventAndApr() throws {
        let listener = try db.connect()
        try listener.listen(LedgerLog.channel)
        let apr = try db.propose()
        let seq = try db.scalar("SELECT max(seq) FROM gov_ledger")!
        var got: [PGNotification] = []
        while got.isEmpty { got = try listener.waitForNotifications(milliseconds: 5_000) }
        XCTAssertEqual(got.map(\.payload), [#"{"seq": \#(seq), "event": "propose", "apr_code": "\#(apr.code)"}"#])
        // The hash chain is what it was: the notification is not part of it.
        XCTAssertEqual(try db.ledgerChain(), "intact")
    }
}
