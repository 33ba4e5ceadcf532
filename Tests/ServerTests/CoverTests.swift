import AppKernel
import Foundation
import HTTPServer
import TestSupport
import Testing

/// Signs and posts work-provider events.
struct ProviderClient {
    let connection: TestConnection
    let provider: String

    var secret: String { ProcessInfo.processInfo.environment["PROVIDER_\(provider.uppercased())_SECRET"]! }

    func send(_ id: String, driver: String, _ type: String, _ at: String, shift: String? = nil,
              signedAt: Int = Int(Date().timeIntervalSince1970), secret override: String? = nil) async throws -> TestResponse {
        var event: [String: Any] = ["event_id": id, "provider_driver_id": driver, "type": type, "occurred_at": at]
        if let shift { event["shift_id"] = shift }
        let body = Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
        let signature = WebhookSignature.sign(body: body, secret: override ?? secret, timestamp: signedAt)
        return try await connection.request("POST", "/v1/work-providers/\(provider)/events",
                                            headers: [("Content-Type", "application/json"), ("Hourglass-Signature", signature)], body: body)
    }
}

extension ProviderClient {
    /// The provider confirms a driver's link code (signed, like every provider request).
    func confirm(_ providerDriverID: String, code: String, secret override: String? = nil) async throws -> TestResponse {
        let body = Array(try JSONSerialization.data(withJSONObject: ["provider_driver_id": providerDriverID, "link_code": code], options: [.sortedKeys]))
        let signature = WebhookSignature.sign(body: body, secret: override ?? secret, timestamp: Int(Date().timeIntervalSince1970))
        return try await connection.request("POST", "/v1/work-providers/\(provider)/link-confirmations",
                                            headers: [("Content-Type", "application/json"), ("Hourglass-Signature", signature)], body: body)
    }
}

extension TestDriver {
    /// Links the driver to `provider` as `providerDriverID` the way it happens for real: the
    /// driver asks for a code, the provider confirms it. Returns the confirmation's status.
    @discardableResult
    func link(_ port: UInt16, _ provider: String, _ providerDriverID: String) async throws -> Int {
        let requested = try await client.json("POST", "/v1/work-provider-links", ["provider": provider, "provider_driver_id": providerDriverID],
                                              token: token)
        guard requested.status == 201, let code = try requested.json()["link_code"] as? String else { return requested.status }
        return try await ProviderClient(connection: try TestConnection(port: port), provider: provider).confirm(providerDriverID, code: code).status
    }
}

@Suite(.tags(.database)) struct CoverTests {
    /// A driver on a test clock with an active PAYG policy (£2.03 an hour) and £50 in the wallet.
    func paygDriver(_ server: TestServer, clockStart: String) async throws -> (TestDriver, String, clock: String) {
        let (_, clockID) = try await TestClock.make(server, frozenAt: clockStart)
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let quote = try await driver.quote().json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(5000, card: card).status == 201)
        return (driver, policy["id"] as! String, clockID)
    }

    func advance(_ server: TestServer, _ clockID: String, to time: String) async throws {
        let response = try await TestConnection(port: server.port).json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": time])
        #expect(response.status == 200)
    }

    @Test func aShiftDayFromSignedEventsIsChargedToThePenny() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (driver, policyID, clock) = try await paygDriver(server, clockStart: "2026-08-03T07:55:00Z")
        let rider = "rider-\(UUID().uuidString.prefix(8))", eater = "ue-\(UUID().uuidString.prefix(8))"
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        #expect(try await driver.link(server.port, "uber_eats", eater) == 200)
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let uberEats = ProviderClient(connection: try TestConnection(port: server.port), provider: "uber_eats")
        let p = UUID().uuidString.prefix(8)

        try await advance(server, clock, to: "2026-08-03T10:15:00Z")
        // Out of order: an end before its start, and events from two providers interleaved.
        #expect(try await uberEats.send("\(p)-u1-end", driver: eater, "shift_ended", "2026-08-03T10:10:00Z", shift: "u1").status == 202)
        #expect(try await deliveroo.send("\(p)-d1-end", driver: rider, "shift_ended", "2026-08-03T08:20:00Z", shift: "d1").status == 202)
        #expect(try await uberEats.send("\(p)-u1-start", driver: eater, "shift_started", "2026-08-03T08:45:00Z", shift: "u1").status == 202)
        #expect(try await deliveroo.send("\(p)-d1-start", driver: rider, "shift_started", "2026-08-03T08:00:00Z", shift: "d1").status == 202)
        // Too far ahead of the driver's clock: refused.
        #expect(try await deliveroo.send("\(p)-future", driver: rider, "shift_started", "2026-08-03T10:21:00Z", shift: "x").status == 422)

        try await advance(server, clock, to: "2026-08-03T13:10:00Z")
        #expect(try await deliveroo.send("\(p)-d2-start", driver: rider, "shift_started", "2026-08-03T10:18:00Z", shift: "d2").status == 202)
        let duplicate = try await deliveroo.send("\(p)-d2-start", driver: rider, "shift_started", "2026-08-03T10:18:00Z", shift: "d2")
        #expect(duplicate.status == 202)
        #expect(try duplicate.json()["duplicate"] as? Bool == true)
        #expect(try await deliveroo.send("\(p)-d2-end", driver: rider, "shift_ended", "2026-08-03T11:00:00Z", shift: "d2").status == 202)
        #expect(try await deliveroo.send("\(p)-d3-start", driver: rider, "shift_started", "2026-08-03T12:30:00Z", shift: "d3").status == 202)
        #expect(try await uberEats.send("\(p)-u2-start", driver: eater, "shift_started", "2026-08-03T12:40:00Z", shift: "u2").status == 202)
        #expect(try await deliveroo.send("\(p)-d3-end", driver: rider, "shift_ended", "2026-08-03T13:00:00Z", shift: "d3").status == 202)
        #expect(try await uberEats.send("\(p)-u2-end", driver: eater, "shift_ended", "2026-08-03T13:05:00Z", shift: "u2").status == 202)

        // Let the queued jobs run, then move past the last covered minute: both sessions close.
        try await Task.sleep(for: .milliseconds(600))
        try await advance(server, clock, to: "2026-08-03T14:30:00Z")

        let sessions = try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(sessions.count == 2)
        let ordered = sessions.sorted { ($0["started_at"] as! String) < ($1["started_at"] as! String) }
        // 08:00–11:00 joined (08:45 inside the paid hour, 10:18 within 10 minutes): 180 minutes → 203 × 3 = 609.
        #expect(ordered[0]["started_at"] as? String == "2026-08-03T08:00:00Z")
        #expect(ordered[0]["ended_at"] as? String == "2026-08-03T11:00:00Z")
        #expect(ordered[0]["billed_minutes"] as? Int == 180)
        #expect(ordered[0]["charged_amount"] as? Int == 609)
        #expect(ordered[0]["ipt_amount"] as? Int == 65)
        #expect(ordered[0]["status"] as? String == "closed")
        // 12:30–13:05 with an overlapping shift: the 60-minute minimum, charged once → 203.
        #expect(ordered[1]["billed_minutes"] as? Int == 60)
        #expect(ordered[1]["charged_amount"] as? Int == 203)
        #expect(ordered[1]["covered_until"] as? String == "2026-08-03T13:30:00Z")
        #expect(try await driver.balance() == 5000 - 609 - 203)

        func covered(_ at: String) async throws -> Bool {
            try await driver.client.json("GET", "/v1/cover?at=\(at)", token: driver.token).json()["covered"] as! Bool
        }
        #expect(try await covered("2026-08-03T10:14:00Z"))   // in the joined gap
        #expect(try await !covered("2026-08-03T12:00:00Z"))  // between sessions
        #expect(try await covered("2026-08-03T13:20:00Z"))   // inside the paid minimum
        #expect(try await !covered("2026-08-03T13:30:00Z"))
        #expect(try await driver.client.json("GET", "/v1/cover?at=yesterday", token: driver.token).status == 400)

        // Replaying everything changes nothing.
        try await advance(server, clock, to: "2026-08-03T15:00:00Z")
        #expect(try await driver.balance() == 5000 - 812)
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        // The clock passed 10:20 before the 10:18 shift was reported: the morning session was
        // charged when it closed and the late shift added the difference, per session to the penny.
        // (Events reach the engine in whatever order the jobs run: a session opened by a shift
        // that a later-processed earlier shift absorbed was charged its first hour and given it
        // back, netting to nothing.)
        let lines = history.filter { ["session_charge", "refund"].contains($0["type"] as? String) }
        let bySession = Dictionary(grouping: lines, by: { $0["related_id"] as! String })
            .mapValues { $0.reduce(0) { $0 - ($1["amount"] as! Int) } }.filter { $0.value != 0 }
        #expect(bySession.values.sorted() == [203, 609])
        try await expectLedgerConsistent()
    }

    /// Regression: a session merged away by a late shift start and split out again by that
    /// shift's late end was revived without being charged again (its charge had been refunded).
    @Test func aSessionSplitOutAgainIsChargedAgain() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let (driver, policyID, clock) = try await paygDriver(server, clockStart: "2026-08-04T07:55:00Z")
        let rider = "split-\(UUID().uuidString.prefix(8))", p = UUID().uuidString.prefix(8)
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        try await advance(server, clock, to: "2026-08-04T12:00:00Z")

        // 10:00–10:30, closed by 12:00: the 60-minute minimum is charged.
        #expect(try await deliveroo.send("\(p)-y-start", driver: rider, "shift_started", "2026-08-04T10:00:00Z", shift: "y").status == 202)
        #expect(try await deliveroo.send("\(p)-y-end", driver: rider, "shift_ended", "2026-08-04T10:30:00Z", shift: "y").status == 202)
        try await advance(server, clock, to: "2026-08-04T12:01:00Z")
        #expect(try await driver.balance() == 5000 - 203)
        // A shift that started at 08:00 and has not ended yet swallows it: one open session, the
        // charge given back, and the open session's first hour bought.
        #expect(try await deliveroo.send("\(p)-x-start", driver: rider, "shift_started", "2026-08-04T08:00:00Z", shift: "x").status == 202)
        try await advance(server, clock, to: "2026-08-04T12:02:00Z")
        #expect(try await driver.balance() == 5000 - 203)
        // That shift ended at 08:05: two separate sessions again, each charged its minimum.
        #expect(try await deliveroo.send("\(p)-x-end", driver: rider, "shift_ended", "2026-08-04T08:05:00Z", shift: "x").status == 202)
        try await advance(server, clock, to: "2026-08-04T12:03:00Z")

        let sessions = try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(sessions.compactMap { $0["started_at"] as? String }.sorted() == ["2026-08-04T08:00:00Z", "2026-08-04T10:00:00Z"])
        #expect(sessions.allSatisfy { $0["charged_amount"] as? Int == 203 })
        #expect(try await driver.balance() == 5000 - 406)
        try await expectLedgerConsistent()
    }

    @Test func signaturesAreCheckedAndUnlinkedEventsWaitForTheirLink() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (driver, policyID, clock) = try await paygDriver(server, clockStart: "2026-08-04T09:00:00Z")
        let rider = "late-link-\(UUID().uuidString.prefix(8))"
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let p = UUID().uuidString.prefix(8)
        #expect(try await deliveroo.send("\(p)-bad", driver: rider, "shift_started", "2026-08-04T09:00:00Z", secret: "wrong").status == 401)
        #expect(try await deliveroo.send("\(p)-stale", driver: rider, "shift_started", "2026-08-04T09:00:00Z",
                                         signedAt: Int(Date().timeIntervalSince1970) - 301).status == 401)
        #expect(try await ProviderClient(connection: deliveroo.connection, provider: "nobody")
            .send("\(p)-x", driver: rider, "shift_started", "2026-08-04T09:00:00Z", secret: "s").status == 404)
        // Not linked yet (real-time checks apply): accepted and kept.
        #expect(try await deliveroo.send("\(p)-s", driver: rider, "shift_started", RFC3339.format(Date().addingTimeInterval(-120)), shift: "a").status == 202)
        #expect(try await deliveroo.send("\(p)-bad-type", driver: rider, "shift_paused", RFC3339.format(Date())).status == 422)
        #expect(try await deliveroo.send("\(p)-old", driver: rider, "shift_started", RFC3339.format(Date().addingTimeInterval(-25 * 3600))).status == 422)
        _ = policyID
        _ = clock
        // The link applies the kept event: a session appears on the driver's clock history.
        let link = try await driver.client.json("POST", "/v1/work-provider-links", ["provider": "deliveroo", "provider_driver_id": rider],
                                                token: driver.token)
        #expect(link.status == 201)
        // The link names the driver in the same form as the driver's own profile (`GET /v1/me`).
        let me = try await driver.client.json("GET", "/v1/me", token: driver.token).json()
        #expect(try link.json()["driver_id"] as? String == me["id"] as? String)
        #expect(try await deliveroo.confirm(rider, code: try link.json()["link_code"] as! String).status == 200)
        #expect(try await driver.client.json("POST", "/v1/work-provider-links", ["provider": "deliveroo", "provider_driver_id": rider],
                                             token: driver.token).status == 409)
        #expect(try await driver.client.json("POST", "/v1/work-provider-links", ["provider": "just_eat", "provider_driver_id": "x"],
                                             token: driver.token).status == 422)
    }

    @Test func manualCoverStartsAndEndsByHand() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (driver, policyID, clock) = try await paygDriver(server, clockStart: "2026-08-05T09:00:00Z")
        let started = try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token)
        #expect(started.status == 201)
        let session = try started.json()
        #expect(session["status"] as? String == "active")
        #expect(session["started_at"] as? String == "2026-08-05T09:00:00Z")
        try await advance(server, clock, to: "2026-08-05T10:30:00Z")
        let ended = try await driver.client.json("POST", "/v1/sessions/\(session["id"]!)/end", token: driver.token)
        #expect(ended.status == 200)
        #expect(try ended.json()["ended_at"] as? String == "2026-08-05T10:30:00Z")
        #expect(try ended.json()["billed_minutes"] as? Int == 90)
        #expect(try ended.json()["status"] as? String == "active")  // another shift could still join for 10 minutes
        try await advance(server, clock, to: "2026-08-05T10:41:00Z")
        let closed = try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(closed.first?["status"] as? String == "closed")
        #expect(closed.first?["charged_amount"] as? Int == 305)  // 203 × 1.5 = 304.5 → 305
        #expect(try await driver.balance() == 5000 - 305)
        #expect(try await driver.client.json("POST", "/v1/sessions/\(UUID().uuidString)/end", token: driver.token).status == 404)
    }

    @Test func openingNeedsTenPoundsAndFourteenHoursIsTheLimit() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (_, clockID) = try await TestClock.make(server, frozenAt: "2026-08-06T06:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let quote = try await driver.quote().json()
        let policyID = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()["id"] as! String
        let refused = try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token)
        #expect(refused.status == 422)
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1000, card: card).status == 201)
        // No automatic top-up here: the point is what happens when the money runs out.
        #expect(try await driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["enabled": false]], token: driver.token).status == 200)
        #expect(try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).status == 201)
        try await advance(server, clockID, to: "2026-08-06T21:00:00Z")  // 15 hours later, never ended
        let sessions = try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(sessions.first?["was_cut"] as? Bool == true)
        #expect(sessions.first?["billed_minutes"] as? Int == 840)
        #expect(sessions.first?["charged_amount"] as? Int == 14 * 203)
        // A running session is never stopped for money: the wallet went below zero, and the policy shows paused.
        #expect(try await driver.balance() == 1000 - 14 * 203)
        let policy = try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()
        #expect(policy["status"] as? String == "paused")
        let notes = try await driver.client.json("GET", "/v1/notifications", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(notes.contains { $0["kind"] as? String == "session_cut" })
        try await expectLedgerConsistent()
    }
}

@Suite(.tags(.database)) struct ProviderNoticeTests {
    /// When cover pauses (balance below £0) and resumes (topped back to £10), each linked provider
    /// gets a signed webhook, retried until acknowledged.
    @Test func providersHearWhenCoverPausesAndResumes() async throws {
        let receiver = try WebhookReceiver(failFirst: 1)
        let server = try Fixtures.server(config: ["PROVIDER_DELIVEROO_WEBHOOK_URL": receiver.url + "/hourglass"], jobs: true)
        defer { Task { await server.stop(); await receiver.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-08-07T06:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let rider = "notice-\(UUID().uuidString.prefix(8))"
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        let quote = try await driver.quote().json()
        let policyID = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()["id"] as! String
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1000, card: card).status == 201)
        _ = try await driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["enabled": false]], token: driver.token)
        #expect(try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).status == 201)
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-08-07T12:00:00Z"])
        // 6 hours at £2.03 = £12.18 > £10: the wallet is below zero once the session is charged.
        let sessionID = (try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]])[0]["id"]!
        _ = try await driver.client.json("POST", "/v1/sessions/\(sessionID)/end", token: driver.token)
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-08-07T12:30:00Z"])
        #expect(try await driver.balance() == 1000 - 6 * 203)
        #expect(try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()["status"] as? String == "paused")
        #expect(try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).status == 422)
        // A top-up to under £10 keeps cover paused; reaching £10 resumes it.
        #expect(try await driver.topUp(800, card: card).status == 201)
        #expect(try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()["status"] as? String == "paused")
        #expect(try await driver.topUp(500, card: card).status == 201)
        #expect(try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()["status"] as? String == "active")

        var notices: [[String: Any]] = []
        for _ in 0..<200 where notices.count < 2 {
            try await Task.sleep(for: .milliseconds(100))
            notices = receiver.requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
        }
        // The first delivery was refused (503) and retried with backoff, so order may differ.
        #expect(Set(notices.compactMap { $0["type"] as? String }) == ["cover_paused", "cover_resumed"])
        #expect(notices.count == 2)
        #expect(notices.allSatisfy { $0["provider_driver_id"] as? String == rider })
        let secret = ProcessInfo.processInfo.environment["PROVIDER_DELIVEROO_SECRET"]!
        for request in receiver.requests {
            #expect(request.path == "/hourglass")
            #expect(throws: Never.self) {
                try WebhookSignature.verify(header: request.headers["hourglass-signature"], body: request.body, secret: secret, now: Date())
            }
        }
        let kinds = (try await driver.client.json("GET", "/v1/notifications", token: driver.token).json()["data"] as! [[String: Any]])
            .compactMap { $0["kind"] as? String }
        #expect(kinds.contains("cover_paused") && kinds.contains("cover_resumed"))
    }
}
