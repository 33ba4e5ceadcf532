import AppKernel
import Foundation
import HTTPServer
import TestSupport
import Testing

/// A driver on a test clock with £50 in the wallet, a Deliveroo link and (unless `bind` is
/// false) a PAYG policy on their car: the scene of issue #9's cover defects.
struct CoverScene {
    let server: TestServer
    let driver: TestDriver
    let clocks: TestConnection
    let clockID: String
    let rider: String
    let deliveroo: ProviderClient
    let card: String
    var policyID: String
    var rate: Int
    private let prefix = UUID().uuidString.prefix(8)

    static func make(_ server: TestServer, at start: String, bind: Bool = true, cardToken: String = "tok_visa",
                     topUp: Int = 5000) async throws -> CoverScene {
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: start)
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard(cardToken)
        if cardToken == "tok_visa" { #expect(try await driver.topUp(topUp, card: card).status == 201) }
        let rider = "scene-\(UUID().uuidString.prefix(8))"
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        var scene = CoverScene(server: server, driver: driver, clocks: clocks, clockID: clockID, rider: rider,
                               deliveroo: ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo"),
                               card: card, policyID: "", rate: 0)
        if bind { (scene.policyID, scene.rate) = try await scene.bindPAYG(vehicleID: driver.vehicleID) }
        return scene
    }

    /// Binds a PAYG quote for `vehicleID`; returns the policy id and its hourly rate.
    func bindPAYG(vehicleID: String) async throws -> (String, Int) {
        let quote = try await driver.quote(["vehicle_id": vehicleID]).json()
        let bound = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token)
        guard bound.status == 201 else { throw TestClientError.malformed("bind failed: \(bound.text)") }
        return (try bound.json()["id"] as! String, quote["hourly_rate_amount"] as! Int)
    }

    func advance(to time: String) async throws {
        let response = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": time])
        #expect(response.status == 200, "\(response.text)")
    }

    func shift(_ id: String, _ type: String, _ at: String) async throws {
        let response = try await deliveroo.send("\(prefix)-\(id)-\(type)", driver: rider, type, at, shift: "\(prefix)-\(id)")
        #expect(response.status == 202, "\(response.text)")
    }

    func sessions(of policyID: String? = nil) async throws -> [[String: Any]] {
        let response = try await driver.client.json("GET", "/v1/policies/\(policyID ?? self.policyID)/sessions", token: driver.token)
        return (try response.json()["data"] as! [[String: Any]]).sorted { ($0["started_at"] as! String) < ($1["started_at"] as! String) }
    }

    func cover(at instant: String? = nil, policy: String? = nil) async throws -> [String: Any] {
        var query: [String] = []
        if let instant { query.append("at=\(instant)") }
        if let policy { query.append("policy_id=\(policy)") }
        return try await driver.client.json("GET", "/v1/cover" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
                                            token: driver.token).json()
    }

    func claim(on policyID: String, at instant: String) async throws -> TestResponse {
        try await driver.client.json("POST", "/v1/claims", [
            "policy_id": policyID, "occurred_at": instant, "type": "accident", "description": "Clipped a wing mirror",
            "location": "Mile End Road",
        ], token: driver.token)
    }

    func transactions() async throws -> [[String: Any]] {
        try await driver.client.json("GET", "/v1/transactions?limit=200", token: driver.token).json()["data"] as! [[String: Any]]
    }

    /// The gross charge of `minutes` of cover: round_half_up(rate × minutes / 60).
    func charge(minutes: Int) -> Int { (rate * minutes * 2 + 60) / 120 }
}

/// Issue #9, items 1–5: every policy owns its cover, nothing charged is undone, nothing unpaid
/// covers. Each test failed on the code before the fix.
@Suite(.tags(.database)) struct PolicyCoverTests {
    /// Item 1: binding a second PAYG policy used to move the first policy's sessions, refund a
    /// charged one and leave the running shift uncovered.
    @Test func aSecondPAYGPolicyIsRefusedAndSessionsStayWithTheirPolicy() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        var scene = try await CoverScene.make(server, at: "2026-09-07T07:55:00Z")
        let first = scene.policyID
        try await scene.advance(to: "2026-09-07T08:00:00Z")
        try await scene.shift("s1", "shift_started", "2026-09-07T08:00:00Z")
        try await scene.advance(to: "2026-09-07T08:20:00Z")
        try await scene.shift("s1", "shift_ended", "2026-09-07T08:20:00Z")
        try await scene.advance(to: "2026-09-07T09:30:00Z")
        try await scene.shift("s2", "shift_started", "2026-09-07T09:30:00Z")
        try await scene.advance(to: "2026-09-07T09:40:00Z")
        let before = try await scene.sessions()
        #expect(before.map { $0["status"] as? String } == ["closed", "active"])
        #expect(try await scene.driver.balance() == 5000 - 2 * scene.rate)

        // Another vehicle, another PAYG quote: refused while the first policy is in force.
        let bicycle = try await scene.driver.client.json("POST", "/v1/vehicles", [
            "registration": "BK26 CYC", "type": "bicycle", "make": "Brompton", "model": "C Line", "year": 2024, "value_amount": 150_000,
        ], token: scene.driver.token).json()["id"] as! String
        let quote = try await scene.driver.quote(["vehicle_id": bicycle]).json()
        let second = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: scene.driver.token)
        #expect(second.status == 409)
        #expect((try second.json()["type"] as? String)?.hasSuffix("/payg-policy-in-force") == true, "\(second.text)")
        // The quote was not used up by the refused bind: it can still be bound later.
        #expect(try await scene.driver.client.json("GET", "/v1/quotes/\(quote["id"]!)", token: scene.driver.token).json()["status"] as? String == "quoted")

        // Nothing moved, nothing refunded, the running shift still covered by the first policy.
        let after = try await scene.sessions()
        #expect(after.map { $0["id"] as? String } == before.map { $0["id"] as? String })
        #expect(after.map { $0["charged_amount"] as? Int } == [scene.rate, scene.rate])
        let covered = try await scene.cover(at: "2026-09-07T09:35:00Z")
        #expect(covered["covered"] as? Bool == true)
        #expect(covered["policy_id"] as? String == first)
        #expect(try await scene.transactions().allSatisfy { $0["type"] as? String != "refund" })

        // Cancel the first (its running session ends now), then the second binds; new cover is its own.
        #expect(try await scene.driver.client.json("POST", "/v1/policies/\(first)/cancel", token: scene.driver.token).status == 200)
        let rebound = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: scene.driver.token)
        #expect(rebound.status == 201, "\(rebound.text)")
        let secondID = try rebound.json()["id"] as! String
        try await scene.shift("s3", "shift_started", "2026-09-07T09:45:00Z")
        try await scene.advance(to: "2026-09-07T10:00:00Z")
        let kept = try await scene.sessions(of: first)
        #expect(kept.map { $0["id"] as? String } == before.map { $0["id"] as? String })
        #expect(kept.map { $0["status"] as? String } == ["closed", "closed"])
        #expect(kept.map { $0["charged_amount"] as? Int } == [scene.rate, scene.rate])
        let fresh = try await scene.sessions(of: secondID)
        #expect(fresh.count == 1)
        #expect(fresh.first?["started_at"] as? String == "2026-09-07T09:45:00Z")
        let secondRate = quote["hourly_rate_amount"] as! Int
        #expect(fresh.first?["charged_amount"] as? Int == secondRate)
        #expect(try await scene.driver.balance() == 5000 - 2 * scene.rate - secondRate)
        #expect(try await scene.transactions().allSatisfy { $0["type"] as? String != "refund" })
        scene.policyID = secondID
        try await expectLedgerConsistent()
    }

    /// Item 1, the race: two binds of two PAYG quotes at once make one policy, not two.
    @Test func twoConcurrentPAYGBindsMakeOnePolicy() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        var quotes: [String] = []
        for _ in 0..<6 { quotes.append(try await driver.quote().json()["id"] as! String) }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for quote in quotes {
                group.addTask {
                    let connection = try TestConnection(port: server.port)
                    return try await connection.json("POST", "/v1/policies", ["quote_id": quote], token: driver.token).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.sorted() == [201, 409, 409, 409, 409, 409])
        let policies = try await driver.client.json("GET", "/v1/policies", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(policies.count == 1)
    }

    /// Item 2: cancelling mid-session left the session active, never charged, covering forever.
    @Test func cancellingMidSessionEndsAndChargesTheSessionThere() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-09-08T10:00:00Z")
        try await scene.shift("a", "shift_started", "2026-09-08T10:00:00Z")
        try await scene.advance(to: "2026-09-08T10:20:00Z")
        let cancelled = try await scene.driver.client.json("POST", "/v1/policies/\(scene.policyID)/cancel", token: scene.driver.token)
        #expect(cancelled.status == 200)
        #expect(try cancelled.json()["status"] as? String == "cancelled")
        let sessions = try await scene.sessions()
        #expect(sessions.count == 1)
        #expect(sessions[0]["status"] as? String == "closed")
        #expect(sessions[0]["ended_at"] as? String == "2026-09-08T10:20:00Z")
        #expect(sessions[0]["covered_until"] as? String == "2026-09-08T10:20:00Z")
        #expect(sessions[0]["billed_minutes"] as? Int == 60)              // the minimum is charged...
        #expect(sessions[0]["charged_amount"] as? Int == scene.rate)
        #expect(try await scene.cover(at: "2026-09-08T10:10:00Z")["covered"] as? Bool == true)
        #expect(try await scene.cover(at: "2026-09-08T10:30:00Z")["covered"] as? Bool == false)   // ...but covers nothing after
        #expect(try await scene.cover()["covered"] as? Bool == false)

        try await scene.advance(to: "2026-09-08T10:40:00Z")
        #expect(try await scene.claim(on: scene.policyID, at: "2026-09-08T10:10:00Z").status == 201)
        let late = try await scene.claim(on: scene.policyID, at: "2026-09-08T10:30:00Z")
        #expect(late.status == 422)
        #expect((try late.json()["type"] as? String)?.hasSuffix("/no-cover") == true)

        // The provider reports the shift's end later, and more shifts: nothing changes any more.
        try await scene.advance(to: "2026-09-08T11:10:00Z")
        try await scene.shift("a", "shift_ended", "2026-09-08T11:00:00Z")
        try await scene.shift("b", "shift_started", "2026-09-08T11:10:00Z")
        try await scene.advance(to: "2026-09-08T13:00:00Z")
        let after = try await scene.sessions()
        #expect(after.count == 1)
        #expect(after[0]["charged_amount"] as? Int == scene.rate)
        #expect(after[0]["final"] as? Bool == true)
        #expect(try await scene.driver.balance() == 5000 - scene.rate)
        #expect(try await scene.cover(at: "2026-09-08T11:30:00Z")["covered"] as? Bool == false)
        try await expectLedgerConsistent()
    }

    /// Item 3: the first hour used to be charged only when the session closed (never, for a
    /// session that never closes).
    @Test func theFirstHourIsBoughtTheMomentASessionOpens() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-09-09T10:00:00Z")
        try await scene.shift("a", "shift_started", "2026-09-09T10:00:00Z")
        try await scene.advance(to: "2026-09-09T10:01:00Z")
        let open = try await scene.sessions()
        #expect(open.count == 1)
        #expect(open[0]["status"] as? String == "active")
        #expect(open[0]["charged_amount"] as? Int == scene.rate)
        #expect(open[0]["ipt_amount"] as? Int == (scene.rate * 3 * 2 + 28) / 56)
        #expect(try await scene.driver.balance() == 5000 - scene.rate)

        try await scene.advance(to: "2026-09-09T11:36:00Z")
        try await scene.shift("a", "shift_ended", "2026-09-09T11:35:00Z")
        try await scene.advance(to: "2026-09-09T11:50:00Z")
        let closed = try await scene.sessions()
        #expect(closed[0]["status"] as? String == "closed")
        #expect(closed[0]["billed_minutes"] as? Int == 95)
        let total = scene.charge(minutes: 95)
        #expect(closed[0]["charged_amount"] as? Int == total)                 // one rounding over the whole session
        #expect(closed[0]["ipt_amount"] as? Int == (total * 3 * 2 + 28) / 56)
        #expect(try await scene.driver.balance() == 5000 - total)
        let charges = try await scene.transactions().filter { $0["type"] as? String == "session_charge" }
        #expect(charges.map { $0["amount"] as? Int }.compactMap { $0 }.sorted() == [-(total - scene.rate), -scene.rate].sorted())
        #expect(charges.reduce(0) { $0 + ($1["ipt_amount"] as! Int) } == (total * 3 * 2 + 28) / 56)
        try await expectLedgerConsistent()
    }

    /// Item 4: an SCA block never authenticated, then cancelled, still took claims; a block
    /// quoted "now" and bound later started at the quote's time.
    @Test func coverNeverBeginsBeforeItIsPaid() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        // Never paid: pending, then cancelled. Covers nothing, has no certificate.
        let unpaid = try await CoverScene.make(server, at: "2026-06-01T10:00:00Z", bind: false, cardToken: "tok_sca_required")
        let quote = try await unpaid.driver.quote(["product": "hourly", "hours": 2]).json()
        let pending = try await unpaid.driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": unpaid.card],
                                                          token: unpaid.driver.token).json()
        #expect(pending["status"] as? String == "pending_payment")
        let blockID = pending["id"] as! String
        #expect(try await unpaid.cover(at: "2026-06-01T10:05:00Z", policy: blockID)["covered"] as? Bool == false)
        try await unpaid.advance(to: "2026-06-01T10:10:00Z")
        #expect(try await unpaid.driver.client.json("POST", "/v1/policies/\(blockID)/cancel", token: unpaid.driver.token).status == 200)
        #expect(try await unpaid.claim(on: blockID, at: "2026-06-01T10:05:00Z").status == 422)
        #expect(try await unpaid.cover(at: "2026-06-01T10:05:00Z")["covered"] as? Bool == false)
        #expect(try await unpaid.driver.client.json("GET", "/v1/policies/\(blockID)/certificate", token: unpaid.driver.token).status == 409)

        // Quoted "now" at 10:00, bound and paid at 10:20: cover starts at 10:20 and runs the full two hours.
        let late = try await CoverScene.make(server, at: "2026-06-01T10:00:00Z", bind: false)
        let now = try await late.driver.quote(["product": "hourly", "hours": 2]).json()
        try await late.advance(to: "2026-06-01T10:20:00Z")
        let bound = try await late.driver.client.json("POST", "/v1/policies", ["quote_id": now["id"]!, "payment_method_id": late.card],
                                                      token: late.driver.token).json()
        #expect(bound["status"] as? String == "active")
        #expect(bound["starts_at"] as? String == "2026-06-01T10:20:00Z")
        #expect(bound["ends_at"] as? String == "2026-06-01T12:20:00Z")
        #expect(bound["paid_at"] as? String == "2026-06-01T10:20:00Z")
        let block = bound["id"] as! String
        #expect(try await late.cover(at: "2026-06-01T10:10:00Z")["covered"] as? Bool == false)
        #expect(try await late.claim(on: block, at: "2026-06-01T10:10:00Z").status == 422)   // crashed, then bought cover
        let inForce = try await late.cover(at: "2026-06-01T10:25:00Z")
        #expect(inForce["covered"] as? Bool == true)
        #expect(inForce["policy_id"] as? String == block)
        #expect(inForce["session_id"] is NSNull)
        try await late.advance(to: "2026-06-01T10:30:00Z")
        #expect(try await late.claim(on: block, at: "2026-06-01T10:25:00Z").status == 201)
        let certificate = try await late.driver.client.json("GET", "/v1/policies/\(block)/certificate", token: late.driver.token)
        #expect(certificate.text.contains("From 2026-06-01T10:20:00Z to 2026-06-01T12:20:00Z"))

        // The same from the wallet.
        let wallet = try await late.driver.quote(["product": "hourly", "hours": 1]).json()
        try await late.advance(to: "2026-06-01T10:45:00Z")
        let fromWallet = try await late.driver.client.json("POST", "/v1/policies", ["quote_id": wallet["id"]!], token: late.driver.token).json()
        #expect(fromWallet["starts_at"] as? String == "2026-06-01T10:45:00Z")
        #expect(fromWallet["ends_at"] as? String == "2026-06-01T11:45:00Z")
    }

    /// Item 5: cover answered for the driver, not the policy: a running session on one policy
    /// let a claim through on another; and paid blocks were ignored by GET /v1/cover.
    @Test func coverAndClaimsArePerPolicy() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        var scene = try await CoverScene.make(server, at: "2026-09-10T09:00:00Z", bind: false)
        let bicycle = try await scene.driver.client.json("POST", "/v1/vehicles", [
            "registration": "BK26 CYD", "type": "bicycle", "make": "Brompton", "model": "C Line", "year": 2024, "value_amount": 150_000,
        ], token: scene.driver.token).json()["id"] as! String
        let (bicyclePAYG, _) = try await scene.bindPAYG(vehicleID: bicycle)
        #expect(try await scene.driver.client.json("POST", "/v1/policies/\(bicyclePAYG)/cancel", token: scene.driver.token).status == 200)
        (scene.policyID, scene.rate) = try await scene.bindPAYG(vehicleID: scene.driver.vehicleID)
        try await scene.shift("car", "shift_started", "2026-09-10T09:00:00Z")
        try await scene.advance(to: "2026-09-10T09:30:00Z")
        #expect(try await scene.claim(on: bicyclePAYG, at: "2026-09-10T09:15:00Z").status == 422)
        #expect(try await scene.claim(on: scene.policyID, at: "2026-09-10T09:15:00Z").status == 201)
        #expect(try await scene.cover(at: "2026-09-10T09:15:00Z", policy: bicyclePAYG)["covered"] as? Bool == false)
        #expect(try await scene.cover(at: "2026-09-10T09:15:00Z", policy: scene.policyID)["covered"] as? Bool == true)

        // A paid block on the bicycle, 12:00–13:00; the car's shift ended at 11:00.
        let blockQuote = try await scene.driver.quote(["vehicle_id": bicycle, "product": "hourly", "hours": 1,
                                                       "starts_at": "2026-09-10T12:00:00Z"]).json()
        let block = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": blockQuote["id"]!],
                                                       token: scene.driver.token).json()["id"] as! String
        try await scene.advance(to: "2026-09-10T11:00:00Z")
        try await scene.shift("car", "shift_ended", "2026-09-10T11:00:00Z")
        try await scene.advance(to: "2026-09-10T12:40:00Z")
        let inBlock = try await scene.cover(at: "2026-09-10T12:30:00Z")
        #expect(inBlock["covered"] as? Bool == true)
        #expect(inBlock["policy_id"] as? String == block)
        #expect(inBlock["session_id"] is NSNull)
        #expect(try await scene.cover(at: "2026-09-10T12:30:00Z", policy: scene.policyID)["covered"] as? Bool == false)
        #expect(try await scene.claim(on: scene.policyID, at: "2026-09-10T12:30:00Z").status == 422)
        #expect(try await scene.claim(on: block, at: "2026-09-10T12:30:00Z").status == 201)

        // Another driver's policy is not theirs to ask about.
        let other = try await TestDriver.make(server)
        #expect(try await other.client.json("GET", "/v1/cover?policy_id=\(block)", token: other.token).status == 404)
        #expect(try await scene.driver.client.json("GET", "/v1/cover?policy_id=nonsense", token: scene.driver.token).status == 400)
    }
}

@Suite(.tags(.database)) struct CoverCutNoticeTests {
    /// Item 6: the 14-hour cut is told to every linked provider (a signed `cover_cut`), as
    /// PRODUCT.md says, not only to the driver.
    @Test func linkedProvidersHearOfTheFourteenHourCut() async throws {
        let receiver = try WebhookReceiver()
        let server = try Fixtures.server(config: ["PROVIDER_DELIVEROO_WEBHOOK_URL": receiver.url + "/hourglass"], jobs: true)
        defer { Task { await server.stop(); await receiver.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-09-11T06:00:00Z")
        try await scene.shift("long", "shift_started", "2026-09-11T06:00:00Z")
        try await scene.advance(to: "2026-09-11T21:00:00Z")   // 15 hours on, still working
        let session = try await scene.sessions()[0]
        #expect(session["was_cut"] as? Bool == true)
        var notices: [[String: Any]] = []
        for _ in 0..<100 where notices.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            notices = receiver.requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
                .filter { $0["type"] as? String == "cover_cut" }
        }
        #expect(notices.count == 1)
        #expect(notices.first?["provider_driver_id"] as? String == scene.rider)
        #expect(notices.first?["occurred_at"] as? String == "2026-09-11T20:00:00Z")
        let secret = ProcessInfo.processInfo.environment["PROVIDER_DELIVEROO_SECRET"]!
        for request in receiver.requests {
            #expect(throws: Never.self) { try WebhookSignature.verify(header: request.headers["hourglass-signature"], body: request.body, secret: secret, now: Date()) }
        }
        // Recomputing again (another advance) does not tell them twice.
        try await scene.advance(to: "2026-09-11T22:00:00Z")
        try await Task.sleep(for: .milliseconds(700))
        #expect(receiver.requests.filter { String(decoding: $0.body, as: UTF8.self).contains("cover_cut") }.count == 1)
    }
}
