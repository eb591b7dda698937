@testable import AprKit
import XCTest

/// apr-list's filters are checked before anything reaches the database: a
/// bad value is a usage error, a good one becomes apr_list's parameters.
final class ListFilterTests: XCTestCase {
    func testStatusesTakeRepeatsAndCommaListsEachOnce() throws {
        XCTAssertEqual(try ListFilter.statuses([]), [])
        XCTAssertEqual(try ListFilter.statuses(["proposed"]), ["proposed"])
        XCTAssertEqual(try ListFilter.statuses(["proposed,approved", "applied", "proposed"]), ["proposed", "approved", "applied"])
        XCTAssertEqual(try ListFilter.statuses(ListFilter.allStatuses), ListFilter.allStatuses)
    }

    func testAStatusThatIsNoneIsRefused() {
        for bad in [["pending"], ["proposed,"], [""], ["Proposed"], ["proposed, approved"], ["approved,,applied"]] {
            XCTAssertThrowsError(try ListFilter.statuses(bad), "\(bad)") { error in
                XCTAssertTrue("\(error)".hasPrefix("--status: "), "\(error)")
            }
        }
    }

    func testALimitIsAtLeastOne() throws {
        XCTAssertEqual(try ListFilter.limit(1), 1)
        XCTAssertEqual(try ListFilter.limit(5000), 5000)
        XCTAssertThrowsError(try ListFilter.limit(0))
        XCTAssertThrowsError(try ListFilter.limit(-3))
    }

    func testDurations() throws {
        XCTAssertEqual(try ListFilter.since("30s"), .within(seconds: 30))
        XCTAssertEqual(try ListFilter.since("30m"), .within(seconds: 1800))
        XCTAssertEqual(try ListFilter.since("2h"), .within(seconds: 7200))
        XCTAssertEqual(try ListFilter.since("7d"), .within(seconds: 604800))
        XCTAssertEqual(try ListFilter.since("1w"), .within(seconds: 604800))
        XCTAssertEqual(try ListFilter.since("1h30m"), .within(seconds: 5400))
        XCTAssertEqual(try ListFilter.since("0h5m"), .within(seconds: 300))
    }

    func testADurationThatIsNoneIsRefused() {
        for bad in ["", "h", "2", "2x", "2 h", "-2h", "2h-", "0h", "0s0m", "1.5h", "2H", "h2", "99999999999d", "40000w"] {
            XCTAssertThrowsError(try ListFilter.since(bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("--since: "), "\(error)")
            }
        }
    }

    func testTimestampsGetAnOffsetUTCByDefault() throws {
        XCTAssertEqual(try ListFilter.since("2026-12-01"), .after("2026-12-01T00:00:00+00:00"))
        XCTAssertEqual(try ListFilter.since("2026-12-01T09:30"), .after("2026-12-01T09:30:00+00:00"))
        XCTAssertEqual(try ListFilter.since("2026-12-01T09:30:05Z"), .after("2026-12-01T09:30:05+00:00"))
        XCTAssertEqual(try ListFilter.since("2026-12-01 09:30:05.25+01:00"), .after("2026-12-01T09:30:05.25+01:00"))
        XCTAssertEqual(try ListFilter.since("2026-12-01T09:30:05.123456-0530"), .after("2026-12-01T09:30:05.123456-05:30"))
        XCTAssertEqual(try ListFilter.since("2026-12-01T09:30:05+02"), .after("2026-12-01T09:30:05+02:00"))
        XCTAssertEqual(try ListFilter.since("2024-02-29"), .after("2024-02-29T00:00:00+00:00"))
        XCTAssertEqual(try ListFilter.since("2000-02-29"), .after("2000-02-29T00:00:00+00:00"))
    }

    func testATimestampThatIsNoneOrDoesNotExistIsRefused() {
        for bad in ["2026-13-01", "2026-00-10", "2026-02-30", "2025-02-29", "1900-02-29", "0000-01-01", "2026-04-31",
                    "2026-12-01T24:00", "2026-12-01T09:60", "2026-12-01T09:30:61", "2026-12-01T09", "2026-12-1",
                    "26-12-01", "2026-12-01T09:30:05.", "2026-12-01T09:30:05.1234567", "2026-12-01T09:30+15:00",
                    "2026-12-01T09:30+01:60", "2026-12-01T09:30Zjunk", "2026-12-01junk", "yesterday", "now"] {
            XCTAssertThrowsError(try ListFilter.since(bad), bad)
        }
    }

    func testTheParametersOfAprList() {
        var filter = ListFilter()
        XCTAssertEqual(filter.parameters, [nil, nil, nil, nil, nil, nil, "false", "100"])
        filter.statuses = ["proposed", "approved"]
        filter.actionCode = "authorize_build_step"
        filter.target = "DOT_C1_VOCAB_BUILD"
        filter.proposedBy = "proposer"
        filter.since = .within(seconds: 7200)
        filter.awaiting = true
        filter.limit = 5
        XCTAssertEqual(filter.parameters, ["{proposed,approved}", "authorize_build_step", "DOT_C1_VOCAB_BUILD", "proposer",
                                           nil, "7200 seconds", "true", "5"])
        filter.since = .after("2026-12-01T00:00:00+00:00")
        XCTAssertEqual(filter.parameters[4], "2026-12-01T00:00:00+00:00")
        XCTAssertNil(filter.parameters[5])
    }

    func testTheTextTableAlignsItsColumns() {
        let a: JSONObject = ["apr_code": "APR-000012", "status": "proposed", "action_code": "authorize_build_step",
                             "proposed_action": .object(["target": "DOT_C1_VOCAB_BUILD"]), "proposed_by": "proposer",
                             "created_at": "2026-12-02T14:21:09.123456+00:00", "expires_at": "2026-12-02T15:21:09+00:00"]
        let b: JSONObject = ["apr_code": "APR-000003", "status": "applied", "action_code": "patch_ops_code",
                             "proposed_action": .object([:]), "proposed_by": "owner1",
                             "created_at": "2026-12-01T09:00:00.5+00:00", "expires_at": "2026-12-08T09:00:00.5+00:00"]
        XCTAssertEqual(ReadingText.table([]), "")
        XCTAssertEqual(ReadingText.table([a, b]), """
            CODE        STATUS    ACTION                TARGET              PROPOSED_BY  CREATED                    EXPIRES
            APR-000012  proposed  authorize_build_step  DOT_C1_VOCAB_BUILD  proposer     2026-12-02 14:21:09+00:00  2026-12-02 15:21:09+00:00
            APR-000003  applied   patch_ops_code        -                   owner1       2026-12-01 09:00:00+00:00  2026-12-08 09:00:00+00:00

            """)
    }
}
