import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// Exactly once under races and kills: concurrent minters released together,
/// mint against revoke, kill -9 of grant-mint at random instants, and its
/// session terminated mid-transaction. Counts come from the environment
/// (APRKIT_STRESS_SCALE, a percentage of the counts; 100 by default),
/// and each test prints the figures it measured.
final class GrantRaceTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws {
        db = try TestDatabase()
        try db.bindMintArm()
    }

    override func tearDown() { db = nil }

    /// `full` scaled by APRKIT_STRESS_SCALE percent, at least 1.
    static func scaled(_ full: Int) -> Int {
        let percent = Int(ProcessInfo.processInfo.environment["APRKIT_STRESS_SCALE"] ?? "") ?? 100
        return max(1, full * percent / 100)
    }

    var executor: String { db.conninfo(as: "executor") }

    /// A handlers directory with no files: apr-execute uses its built-in
    /// arm, whatever this machine has installed.
    let noHandlerFiles = ["APR_HANDLERS_DIR": FileManager.default.temporaryDirectory
        .appendingPathComponent("aprkit-no-handlers-\(UUID().uuidString)").path]

    func mintRows(_ code: String) throws -> (grants: Int, events: Int, applied: Bool) {
        let row = try db.connect().execute("""
            SELECT (SELECT count(*) FROM governance_build_authorization WHERE request_ref = $1),
                   (SELECT count(*) FROM gov_ledger WHERE event = 'mint' AND apr_code = $1),
                   (SELECT status = 'applied' FROM apr_requests WHERE apr_code = $1)
            """, [code])
        return (Int(row.value(0, 0)!)!, Int(row.value(0, 1)!)!, row.value(0, 2) == "t")
    }

    /// Holds the APR's row lock in an open transaction until `release`.
    func holdRowLock(_ code: String, table: String = "apr_requests") throws -> Connection {
        let holder = try db.connect()
        try holder.execute("BEGIN")
        if table == "apr_requests" {
            try holder.execute("SELECT 1 FROM apr_requests WHERE apr_code = $1 FOR UPDATE", [code])
        } else {
            try holder.execute("SELECT 1 FROM gov_ledger_head FOR UPDATE")
        }
        return holder
    }

    func testSixtyFourMintersReleasedTogetherMintOnce() throws {
        let rounds = Self.scaled(10), minters = 64, executors = 16
        var minted = 0, unchanged = 0
        for round in 1...rounds {
            let apr = try db.approved(Fixtures.buildStep(target: "TARGET_\(round)"))
            let holder = try holdRowLock(apr.code)
            // grant-mint and apr-execute both: any mix yields one grant.
            var launched: [LaunchedTool] = []
            for i in 0..<minters {
                let tool = i < minters - executors ? "grant-mint" : "apr-execute"
                launched.append(try LaunchedTool(tool, ["-d", executor, "--apr", apr.code], env: noHandlerFiles))
            }
            try db.waitForLockWaiters("grant-mint", count: minters - executors)
            try holder.execute("COMMIT")
            let runs = launched.map { $0.wait() }

            for run in runs {
                XCTAssertEqual(run.status, 0, "round \(round): \(run.description)")
                XCTAssertEqual(run.stderr, "", "no database error reaches the user")
            }
            let mintedNow = runs.filter { $0.json["minted"] as? Bool == true }.count
            let unchangedNow = runs.filter { $0.json["unchanged"] as? Bool == true }.count
            XCTAssertEqual(mintedNow, 1, "round \(round): exactly one run mints")
            XCTAssertEqual(unchangedNow, minters - 1, "round \(round): the others report unchanged")
            let rows = try mintRows(apr.code)
            XCTAssertEqual(rows.grants, 1, "round \(round)")
            XCTAssertEqual(rows.events, 1, "round \(round)")
            minted += mintedNow
            unchanged += unchangedNow
        }
        XCTAssertEqual(try db.grantCount(), rounds)
        print("mint race: \(rounds) rounds x \(minters) processes (\(minters - executors) grant-mint, \(executors) apr-execute): \(minted) minted, \(unchanged) unchanged, \(try db.grantCount()) grants")
    }

    /// One active grant per target: 32 approved APRs for one target, minted
    /// by 32 grant-mint processes at once. Every one passes the check before
    /// any has committed (the ledger head is held, so the first to insert
    /// waits there and the others wait on its row in the unique index); the
    /// index lets one grant in, and the 31 others are refused as
    /// target_has_active_grant with nothing written.
    func testThirtyTwoAprsForOneTargetMintedAtOnceYieldOneGrant() throws {
        let minters = 32
        for round in 1...3 {
            let target = "RACE_TARGET_\(round)"
            var aprs: [ProposedApr] = []
            for _ in 0..<minters { aprs.append(try db.approved(Fixtures.buildStep(target: target))) }
            let before = try db.rowCounts()
            let holder = try holdRowLock("", table: "gov_ledger_head")
            let launched = try aprs.map { try LaunchedTool("grant-mint", ["-d", executor, "--apr", $0.code]) }
            try db.waitForLockWaiters("grant-mint", count: minters)
            try holder.execute("COMMIT")
            let runs = launched.map { $0.wait() }

            let minted = runs.filter { $0.status == 0 && $0.json["minted"] as? Bool == true }
            let refused = runs.filter { $0.status == 1 && $0.json["reason"] as? String == "target_has_active_grant" }
            XCTAssertEqual(minted.count, 1, "round \(round): \(runs.filter { $0.status != 1 }.map(\.description))")
            XCTAssertEqual(refused.count, minters - 1, "round \(round): \(runs.filter { $0.status != 1 }.map(\.description))")
            let winner = try XCTUnwrap(minted.first?.json["apr_code"] as? String)
            for run in refused {
                XCTAssertFalse(run.leaksRawDatabaseError(tool: "grant-mint"), run.description)
                XCTAssertTrue(run.stderr.contains("has an active grant already, GBA-C1-\(winner) of \(winner)"), run.stderr)
            }
            XCTAssertEqual(try db.scalar("""
                SELECT count(*) FROM governance_build_authorization WHERE status = 'active' AND scope ->> 'target' = $1
                """, [target]), "1")
            var after = try db.rowCounts()
            for table in ["governance_build_authorization", "apr_dispatches", "gov_ledger"] {
                XCTAssertEqual(after[table], before[table].map { $0 + 1 }, "round \(round): \(table)")
                after[table] = before[table]
            }
            XCTAssertEqual(after, before, "round \(round): nothing else written")
            XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_requests WHERE status = 'applied' AND proposed_action ->> 'target' = $1",
                                         [target]), "1")
            // The target is free again once its grant is revoked.
            XCTAssertEqual(try Tool.run("grant-mint", ["-d", executor, "--apr", winner, "--revoke", "--reason", "free"]).status, 0)
        }
        XCTAssertEqual(try db.ledgerChain(), "intact")
        print("target race: 3 rounds x \(minters) APRs for one target: 1 grant each round, \(minters - 1) target_has_active_grant")
    }

    func testMintAgainstRevokeNeverLeavesAGrantActiveAfterARevoke() throws {
        let rounds = Self.scaled(100)
        var revokeFirst = 0, mintFirst = 0
        for round in 1...rounds {
            let apr = try db.approved(Fixtures.buildStep(target: "TARGET_\(round)"))
            let holder = try holdRowLock(apr.code)
            var launched = [
                ("mint", try LaunchedTool("grant-mint", ["-d", executor, "--apr", apr.code])),
                ("revoke", try LaunchedTool("grant-mint", ["-d", executor, "--apr", apr.code, "--revoke", "--reason", "race \(round)"])),
                ("mint", try LaunchedTool("grant-mint", ["-d", executor, "--apr", apr.code])),
            ]
            launched.shuffle()
            try db.waitForLockWaiters("grant-mint", count: 3)
            try holder.execute("COMMIT")
            let runs = launched.map { ($0.0, $0.1.wait()) }
            for (_, run) in runs {
                XCTAssertFalse(run.leaksRawDatabaseError(tool: "grant-mint"), run.description)
                XCTAssertTrue([0, 1, 2].contains(run.status), run.description)
            }
            let revoke = runs.first { $0.0 == "revoke" }!.1
            let status = try db.scalar("SELECT status FROM governance_build_authorization WHERE request_ref = $1", [apr.code])
            if revoke.status == 0 {
                mintFirst += 1
                XCTAssertEqual(status, "revoked", "round \(round): a revoke that succeeded is final")
                for (label, run) in runs where label == "mint" && run.status != 0 {
                    XCTAssertEqual(run.json["reason"] as? String, "apr_revoked", run.description)
                }
            } else {
                revokeFirst += 1
                XCTAssertEqual(revoke.json["reason"] as? String, "nothing_to_revoke", revoke.description)
                XCTAssertEqual(status, "active", "round \(round): the revoke came before any grant")
                let again = try Tool.run("grant-mint", ["-d", executor, "--apr", apr.code, "--revoke", "--reason", "after"])
                XCTAssertEqual(again.status, 0, again.description)
            }
            XCTAssertEqual(try mintRows(apr.code).grants, 1)
            let remint = try Tool.run("grant-mint", ["-d", executor, "--apr", apr.code])
            XCTAssertEqual(remint.json["reason"] as? String, "apr_revoked", remint.description)
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM governance_build_authorization WHERE status = 'active'"), "0")
        print("mint vs revoke: \(rounds) races: revoke after the mint \(mintFirst), revoke before any grant \(revokeFirst); active grants left: 0")
    }

    func testKill9AtRandomInstantsLeavesAllOrNothingAndTheNextRunCompletes() throws {
        let rounds = Self.scaled(100)
        var beforeCommit = 0, afterCommit = 0, finished = 0
        for round in 1...rounds {
            let apr = try db.approved(Fixtures.buildStep(target: "TARGET_\(round)"))
            let tool = try LaunchedTool("grant-mint", ["-d", executor, "--apr", apr.code])
            usleep(UInt32.random(in: 0..<30_000))
            tool.kill9()
            let run = tool.wait()
            if run.status == 0 { finished += 1 }
            // The server may still be finishing what the client sent: let it.
            try db.waitForNoSessions("grant-mint")
            let rows = try mintRows(apr.code)
            XCTAssertTrue(rows.grants <= 1, "round \(round)")
            XCTAssertEqual(rows.grants, rows.events, "round \(round): a grant exists exactly when its ledger event does")
            XCTAssertEqual(rows.grants == 1, rows.applied, "round \(round)")
            if run.status != 0 { if rows.grants == 0 { beforeCommit += 1 } else { afterCommit += 1 } }

            let next = try Tool.run("grant-mint", ["-d", executor, "--apr", apr.code])
            XCTAssertEqual(next.status, 0, "round \(round): \(next.description)")
            XCTAssertEqual(try mintRows(apr.code).grants, 1)
        }
        print("kill -9: \(rounds) kills: \(beforeCommit) before COMMIT (no row), \(afterCommit) after COMMIT (one row), \(finished) runs finished first; every next run completed")
    }

    func testTerminatedSessionMidTransactionLeavesNothingAndTheNextRunCompletes() throws {
        let rounds = Self.scaled(100)
        var waiting = 0, atRandom = 0, atStart = 0
        for round in 1...rounds {
            let apr = try db.approved(Fixtures.buildStep(target: "TARGET_\(round)"))
            // Where the session is when it dies: waiting for the APR's row
            // lock (before the grant row), waiting for the ledger head (the
            // grant row written, not committed), at a random instant, or as
            // soon as it appears (in the handshake or its first query).
            let mode = round % 4
            let holder = mode < 2 ? try holdRowLock(apr.code, table: mode == 0 ? "apr_requests" : "gov_ledger_head") : nil
            let killer = mode == 3 ? try startSessionKiller() : nil
            let tool = try LaunchedTool("grant-mint", ["-d", executor, "--apr", apr.code])
            if holder != nil {
                try db.waitForLockWaiters("grant-mint", count: 1)
            } else if killer == nil {
                usleep(UInt32.random(in: 0..<20_000))
            }
            let killed = killer == nil ? try db.scalar("""
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'grant-mint'
                """) : nil
            try holder?.execute("ROLLBACK")
            let run = tool.wait()
            killer?.wait()
            XCTAssertFalse(run.leaksRawDatabaseError(tool: "grant-mint"), "round \(round): \(run.description)")
            if holder != nil {
                XCTAssertEqual(run.status, 69, "round \(round): \(run.description)")
                XCTAssertEqual(run.json["reason"] as? String, "database_unavailable")
                XCTAssertEqual(try mintRows(apr.code).grants, 0, "round \(round): nothing half-applied")
                waiting += 1
            } else {
                XCTAssertTrue([0, 69].contains(run.status), "round \(round): \(run.description)")
                if run.status == 69 { if killer != nil { atStart += 1 } else if killed == "1" { atRandom += 1 } }
            }
            try db.waitForNoSessions("grant-mint")
            let rows = try mintRows(apr.code)
            XCTAssertEqual(rows.grants, rows.events, "round \(round)")

            let next = try Tool.run("grant-mint", ["-d", executor, "--apr", apr.code])
            XCTAssertEqual(next.status, 0, "round \(round): \(next.description)")
            XCTAssertEqual(try mintRows(apr.code).grants, 1)
        }
        print("pg_terminate_backend: \(rounds) rounds: \(waiting) sessions terminated while waiting mid-transaction, \(atRandom) at random instants, \(atStart) as they started; no half-applied state, no raw error; every next run completed")
    }

    /// A session that, for a moment, ends every grant-mint session as soon
    /// as it shows up; `wait()` waits for it to finish.
    func startSessionKiller() throws -> Thread {
        let db = self.db!
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            let connection = try? db.connect()
            started.signal()
            _ = try? connection?.executeScript("""
                DO $$ BEGIN
                  FOR i IN 1..2000 LOOP
                    PERFORM pg_stat_clear_snapshot();
                    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = current_database() AND application_name = 'grant-mint';
                  END LOOP;
                END $$
                """)
        }
        thread.start()
        started.wait()
        return thread
    }
}

extension Thread {
    /// Waits for the thread's block to return.
    func wait() {
        while !isFinished { usleep(1_000) }
    }
}
