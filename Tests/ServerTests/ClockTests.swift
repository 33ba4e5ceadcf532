import AppKernel
import Foundation
import Postgres
import TestSupport
import Testing

/// Issue #9, item 8: every "now" comes from the driver's clock; an advance answers after all it
/// caused has run; a finished week's statement never changes.
@Suite(.tags(.database)) struct ClockTests {
    /// An automatic top-up for a test-clock driver was stamped with real time, and an advance
    /// answered before the top-up it caused had run. No job workers here: only the advance
    /// itself can run the top-up.
    @Test func anAdvanceRunsTheAutoTopUpItCausedOnTheDriversClock() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-06-03T10:00:00Z", topUp: 3000)
        // Spend the wallet down to under the £10 threshold with a long manual session.
        #expect(try await scene.driver.client.json("POST", "/v1/policies/\(scene.policyID)/sessions", token: scene.driver.token).status == 201)
        try await scene.advance(to: "2026-06-03T22:00:00Z")
        let session = try await scene.sessions()[0]
        _ = try await scene.driver.client.json("POST", "/v1/sessions/\(session["id"]!)/end", token: scene.driver.token)
        try await scene.advance(to: "2026-06-03T22:30:00Z")   // the session closes: 12 h charged, then the top-up

        let charged = scene.charge(minutes: 720)
        #expect(try await scene.driver.balance() == 3000 - charged + 2000)
        let topUps = try await scene.transactions().filter { $0["type"] as? String == "top_up" }
        #expect(topUps.count == 2)
        let automatic = try #require(topUps.first { ($0["description"] as? String)?.hasPrefix("Automatic") == true })
        #expect(automatic["created_at"] as? String == "2026-06-03T22:30:00Z")   // the driver's clock, not the real time
        let payment = try await scene.driver.client.json("GET", "/v1/payments/\(automatic["related_id"] as! String)", token: scene.driver.token).json()
        #expect(payment["created_at"] as? String == "2026-06-03T22:30:00Z")
        #expect(payment["status"] as? String == "succeeded")
        try await expectLedgerConsistent()
    }

    /// A session ending just before midnight on Sunday closes (and is charged the rest) after
    /// the week has ended. Charges were dated at the session's end, inside a week whose
    /// statement was already stored as final: the stored statement no longer matched the ledger.
    @Test func aFinishedWeeksStatementStaysTrue() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-11T22:00:00Z")   // Sunday of ISO week 2026-W41
        let session = try await scene.driver.client.json("POST", "/v1/policies/\(scene.policyID)/sessions", token: scene.driver.token).json()
        try await scene.advance(to: "2026-10-11T23:58:00Z")
        _ = try await scene.driver.client.json("POST", "/v1/sessions/\(session["id"]!)/end", token: scene.driver.token)
        try await scene.advance(to: "2026-10-12T00:01:00Z")   // Monday: W41 has ended, the session has not closed yet

        let first = try await scene.driver.client.json("GET", "/v1/statements/2026-W41", token: scene.driver.token)
        #expect(try first.json()["final"] as? Bool == true)
        try await scene.advance(to: "2026-10-12T00:10:00Z")   // closes: the rest of 118 minutes is charged now
        #expect(try await scene.sessions()[0]["status"] as? String == "closed")

        let again = try await scene.driver.client.json("GET", "/v1/statements/2026-W41", token: scene.driver.token)
        #expect(again.body == first.body)   // stored once, served as stored
        let weekEnd = RFC3339.parse("2026-10-12T00:00:00Z")!
        let cash = try await TestDatabase.pool.queryValue("""
            SELECT -coalesce(sum(e.amount), 0)::int8 FROM ledger.entries e JOIN ledger.transactions t ON t.id = e.transaction_id
            WHERE e.account_id = \("driver:\(scene.driver.id.lowercased()):cash") AND t.created_at < \(weekEnd)
            """, as: Int64.self)
        #expect(try again.json()["closing_balance_amount"] as? Int == Int(cash))   // the stored statement is still the ledger's truth
        let next = try await scene.driver.client.json("GET", "/v1/statements/2026-W42", token: scene.driver.token).json()
        #expect(next["final"] as? Bool == false)
        #expect(next["opening_balance_amount"] as? Int == Int(cash))
        #expect(next["charges_amount"] as? Int == scene.charge(minutes: 118) - scene.rate)
        #expect(next["closing_balance_amount"] as? Int == (try await scene.driver.balance()))
    }
}

/// Regression: starting cover by hand on the real clock failed about half the time ("a shift
/// that started at this instant was refused for the balance"): "now" had more precision than
/// PostgreSQL keeps (microseconds), so the shift read back started a fraction of a microsecond
/// after "now" and the session engine saw it as not started yet. Times are now whole
/// microseconds, and round-trip exactly.
@Suite(.tags(.database)) struct RealClockPrecisionTests {
    @Test func coverStartsByHandOnTheRealClockEveryTime() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        for _ in 0..<12 {
            let driver = try await TestDriver.make(server)
            let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": try await driver.quote().json()["id"]!],
                                                      token: driver.token).json()
            #expect(try await driver.topUp(2000, card: try await driver.addCard("tok_visa")).status == 201)
            let started = try await driver.client.json("POST", "/v1/policies/\(policy["id"]!)/sessions", token: driver.token)
            #expect(started.status == 201, "\(started.text)")
        }
    }

    @Test func theSystemClockIsWholeMicroseconds() {
        for _ in 0..<100 {
            let now = SystemWallClock().now().timeIntervalSince1970
            #expect((now * 1_000_000).rounded() / 1_000_000 == now)
        }
    }
}
