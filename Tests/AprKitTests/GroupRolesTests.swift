import AprKit
import XCTest

/// Which group role a denied permission names: the one role of a function
/// granted to one role, else the role of the tool that called it.
final class GroupRolesTests: XCTestCase {
    func testAFunctionOfOneRoleNamesThatRole() {
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function apr_vote", tool: "apr-quorum"), "apr_approver")
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function apr_propose", tool: "x"), "apr_proposer")
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function grant_mint", tool: "apr-execute"), "apr_executor")
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function apr_dispatch_lock", tool: "x"), "apr_executor")
    }

    func testWhatSeveralRolesMayCallNamesTheToolsRole() {
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function apr_quorum_state", tool: "apr-quorum"), "apr_approver")
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function apr_dispatch_plan", tool: "apr-execute"), "apr_executor")
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for table gov_ledger", tool: "readback"), "apr_reader")
        XCTAssertEqual(GroupRoles.role(deniedIn: "permission denied for function apr_cancel", tool: "apr-cancel"), "apr_proposer")
        XCTAssertNil(GroupRoles.role(deniedIn: "permission denied for table gov_ledger", tool: "gov-migrate"))
    }

    func testEachRoleHasItsReasonAndTheReasonsAreRegistered() {
        XCTAssertEqual(GroupRoles.reasons, ["apr_proposer": "not_a_proposer", "apr_approver": "not_an_approver",
                                            "apr_executor": "not_an_executor", "apr_reader": "not_a_reader"])
        for reason in GroupRoles.reasons.values {
            XCTAssertEqual(Reasons.exitStatus(of: reason), .fail, reason)
        }
        XCTAssertEqual(Reasons.exitStatus(of: "schema_missing"), .unavailable)
        let roles = Set(GroupRoles.reasons.keys)
        XCTAssertTrue(Set(GroupRoles.byFunction.values).isSubset(of: roles))
        XCTAssertTrue(Set(GroupRoles.byTool.values).isSubset(of: roles))
    }

    func testTheDetailNamesTheGrant() {
        XCTAssertEqual(GroupRoles.detail(user: "alice", role: "apr_approver", denied: "permission denied for function apr_vote"),
                       "alice is not a member of apr_approver (permission denied for function apr_vote): "
                       + "the schema owner runs GRANT apr_approver TO alice")
    }
}
