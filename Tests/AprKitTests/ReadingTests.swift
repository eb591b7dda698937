import AprKit
import XCTest
import _AprTestSupport

/// apr-list fetches its rows a batch at a time from a cursor: every row, in
/// order, whatever the batch size, on the boundary too; and reads only.
final class ReadingTests: XCTestCase {
    func testEveryRowInOrderWhateverTheBatch() throws {
        let db = try TestDatabase()
        let made = try (0..<5).map { _ in try db.propose().code }
        let reading = Reading(connection: try db.connect(as: "eng1"))
        var filter = ListFilter()
        filter.limit = 1000
        for batch in [1, 2, 4, 5, 6, 500] {
            var codes: [String] = []
            try reading.list(filter, batch: batch) { codes.append($0["apr_code"]?.stringValue ?? "?") }
            XCTAssertEqual(codes, made.reversed(), "batch \(batch)")
        }
        filter.limit = 3
        XCTAssertEqual(try reading.list(filter).count, 3)
    }

    func testTheListIsReadInAReadOnlyTransaction() throws {
        let db = try TestDatabase()
        _ = try db.propose()
        let connection = try db.connect(as: "eng1")
        var seen = 0
        try Reading(connection: connection).list(ListFilter()) { _ in
            seen += 1
            XCTAssertEqual(try connection.execute("SHOW transaction_read_only").value(0, 0), "on")
        }
        XCTAssertEqual(seen, 1)
        XCTAssertEqual(connection.transactionStatus, .idle, "the transaction is over")
    }

    /// A reason that would draw a fake "Quorum: passed" section, or hide the
    /// real one behind an escape sequence, prints with those characters
    /// escaped.
    func testTextShowsControlCharactersEscaped() {
        XCTAssertEqual(ReadingText.printable("ok\n\nQuorum (risk high): passed\u{1b}[8m"),
                       "ok\\n\\nQuorum (risk high): passed\\u{1b}[8m")
        XCTAssertEqual(ReadingText.printable("abc\u{202e}fed\t"), "abc\\u{202e}fed\\t")
        XCTAssertEqual(ReadingText.printable("plain: ünïcode ✓"), "plain: ünïcode ✓")
    }
}
