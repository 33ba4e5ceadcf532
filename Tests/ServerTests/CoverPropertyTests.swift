import AppKernel
import Foundation
import Postgres
import TestSupport
import Testing

/// Issue #9's property test, end to end: random streams of shift events from two providers
/// interleaved with binds, cancellations, top-ups, pauses (the balance running out) and clock
/// advances. After every step the books and the cover are checked; at the end every policy's
/// sessions are compared with the minute-by-minute reference (`CoverReference`).
@Suite(.tags(.database)) struct CoverPropertyTests {
    static let origin = RFC3339.parse("2026-07-06T06:00:00Z")!

    /// What the test did, in minutes from `origin`.
    struct History {
        var minute = 0
        var shifts: [(provider: String, id: String, start: Int, end: Int?)] = []
        var policies: [(id: String, start: Int, cancelled: Int?, rate: Int)] = []
        var inForce: Int? { policies.lastIndex { $0.cancelled == nil } }
        func open(_ provider: String) -> Int? { shifts.lastIndex { $0.provider == provider && $0.end == nil } }
    }

    @Test(arguments: Array(UInt64(1)...UInt64(24)))
    func randomHistoriesKeepTheBooksAndTheRules(seed: UInt64) async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        var random = SeededGenerator(seed: seed * 7919)
        let scene = try await CoverScene.make(server, at: RFC3339.format(Self.origin), bind: false,
                                              topUp: Int.random(in: 1500...4000, using: &random))
        _ = try await scene.driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["enabled": false]], token: scene.driver.token)
        let eats = "eats-\(UUID().uuidString.prefix(8))"
        #expect(try await scene.driver.link(server.port, "uber_eats", eats) == 200)
        let providers = [("deliveroo", scene.rider), ("uber_eats", eats)]
        let connection = try TestConnection(port: server.port)
        var history = History()
        func instant(_ minute: Int) -> String { RFC3339.format(Self.origin.addingTimeInterval(Double(minute) * 60)) }

        for step in 0..<Int.random(in: 30...55, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1, 2:
                let (provider, driverRef) = providers[Int.random(in: 0...1, using: &random)]
                let client = ProviderClient(connection: connection, provider: provider)
                if let index = history.open(provider) {
                    let shift = history.shifts[index]
                    #expect(try await client.send("\(shift.id)-end", driver: driverRef, "shift_ended", instant(history.minute), shift: shift.id).status == 202)
                    history.shifts[index].end = history.minute
                } else {
                    let id = "p\(seed)-\(step)-\(UUID().uuidString.prefix(6))"
                    #expect(try await client.send("\(id)-start", driver: driverRef, "shift_started", instant(history.minute), shift: id).status == 202)
                    history.shifts.append((provider, id, history.minute, nil))
                }
            case 3:
                if let index = history.inForce {
                    let response = try await scene.driver.client.json("POST", "/v1/policies/\(history.policies[index].id)/cancel",
                                                                      token: scene.driver.token)
                    #expect(response.status == 200, "\(response.text)")
                    history.policies[index].cancelled = history.minute
                } else {
                    let (id, rate) = try await scene.bindPAYG(vehicleID: scene.driver.vehicleID)
                    history.policies.append((id, history.minute, nil, rate))
                }
            case 4:
                #expect(try await scene.driver.topUp(Int.random(in: 500...2500, using: &random), card: scene.card).status == 201)
            default:
                history.minute += Int.random(in: 1...200, using: &random)
                try await scene.advance(to: instant(history.minute))
            }
            try await Self.checkInvariants(scene, history, step: step)
        }
        // Two days on, everything has closed and settled.
        history.minute += 48 * 60
        try await scene.advance(to: instant(history.minute))
        try await Self.checkInvariants(scene, history, step: -1)
        try await Self.compareWithReference(scene, history, seed: seed)
    }

    /// After every step: each of the driver's ledger transactions sums to zero, the wallet
    /// balance is its ledger balance, every session lies inside its own policy's window, and
    /// no two policies' sessions cover the same instant.
    static func checkInvariants(_ scene: CoverScene, _ history: History, step: Int) async throws {
        let driverID = UUID(uuidString: scene.driver.id)!
        let unbalanced = try await TestDatabase.pool.queryValue("""
            SELECT count(*) FROM (SELECT t.id FROM ledger.transactions t JOIN ledger.entries e ON e.transaction_id = t.id
                                  WHERE t.driver_id = \(driverID) GROUP BY t.id HAVING sum(e.amount) <> 0) u
            """, as: Int.self)
        #expect(unbalanced == 0, "step \(step)")
        // Job workers of other tests' servers share the database and may apply this driver's
        // queued events meanwhile: compare a balance that did not move while the entries were summed.
        var matched = false
        for _ in 0..<5 where !matched {
            let before = try await scene.driver.balance()
            let cash = try await TestDatabase.pool.queryValue("""
                SELECT -coalesce(sum(amount), 0)::int8 FROM ledger.entries WHERE account_id = \("driver:\(scene.driver.id.lowercased()):cash")
                """, as: Int64.self)
            let after = try await scene.driver.balance()
            if before == after {
                #expect(before == Int(cash), "step \(step)")
                matched = true
            }
        }
        #expect(matched, "the balance kept moving at step \(step)")
        var spans: [(policy: String, start: Date, end: Date)] = []
        for policy in history.policies {
            for session in try await scene.sessions(of: policy.id) {
                let start = RFC3339.parse(session["started_at"] as! String)!, until = RFC3339.parse(session["covered_until"] as! String)!
                #expect(session["policy_id"] as? String == policy.id)
                #expect(start >= origin.addingTimeInterval(Double(policy.start) * 60), "step \(step): session before its policy")
                if let cancelled = policy.cancelled.map({ origin.addingTimeInterval(Double($0) * 60) }) {
                    #expect(start < cancelled && until <= cancelled, "step \(step): cover after the cancellation")
                    #expect(session["status"] as? String == "closed", "step \(step): a cancelled policy's session still running")
                }
                spans.append((policy.id, start, until))
            }
        }
        for a in spans { for b in spans where a.policy < b.policy {
            #expect(a.end <= b.start || b.end <= a.start, "step \(step): two policies cover one instant")
        } }
    }

    /// Each policy's sessions, as recorded, against the reference fed the same shifts and the
    /// recorded opening decisions (whether a start could open cover is the balance rule, decided
    /// once when the start is first seen).
    static func compareWithReference(_ scene: CoverScene, _ history: History, seed: UInt64) async throws {
        let driverID = UUID(uuidString: scene.driver.id)!
        let decisions = Dictionary(try await TestDatabase.pool.queryAll(
            "SELECT shift_start, allowed FROM cover.open_decisions WHERE driver_id = \(driverID)") {
            (Int(try $0.decode(Date.self, at: 0).timeIntervalSince(origin) / 60), try $0.decode(Bool.self, at: 1))
        }, uniquingKeysWith: { first, _ in first })
        var charged = 0
        for policy in history.policies {
            let shifts = history.shifts.filter { $0.start >= policy.start }.map { (start: $0.start, end: $0.end) }
            let expected = CoverReference.sessions(shifts, now: history.minute, endingAt: policy.cancelled) { minute in
                #expect(decisions[minute] != nil, "seed \(seed): no decision recorded for a start at minute \(minute)")
                return decisions[minute] ?? false
            }
            let actual = try await scene.sessions(of: policy.id).map { session in
                (start: Int(RFC3339.parse(session["started_at"] as! String)!.timeIntervalSince(origin) / 60),
                 end: (session["ended_at"] as? String).map { Int(RFC3339.parse($0)!.timeIntervalSince(origin) / 60) },
                 minutes: session["billed_minutes"] as! Int, charged: session["charged_amount"] as! Int)
            }
            let same = actual.count == expected.count && zip(actual, expected).allSatisfy { recorded, reference in
                recorded.start == reference.start && recorded.minutes == reference.minutes
                    && recorded.end == (reference.cut ? reference.start + 840 : reference.end)
                    && recorded.charged == (policy.rate * reference.minutes * 2 + 60) / 120
            }
            #expect(same, "seed \(seed), policy \(policy): recorded \(actual)\nreference \(expected)\nshifts \(shifts)")
            charged += actual.reduce(0) { $0 + $1.charged }
        }
        // What the sessions say was charged is what the ledger took, to the penny.
        let sessionCharges = try await TestDatabase.pool.queryValue("""
            SELECT -coalesce(sum(amount), 0)::int8 FROM ledger.transactions WHERE driver_id = \(driverID) AND kind = 'session_charge'
            """, as: Int64.self)
        let corrections = try await TestDatabase.pool.queryValue("""
            SELECT coalesce(sum(amount), 0)::int8 FROM ledger.transactions
            WHERE driver_id = \(driverID) AND kind = 'refund' AND description LIKE 'Correction:%'
            """, as: Int64.self)
        #expect(Int(sessionCharges - corrections) == charged, "seed \(seed)")
    }
}
