import AppKernel
import Foundation
import Postgres
import TestSupport
import Testing

/// OPS.md's audit: every channel writes the trail, with the right actor, in the transaction of
/// the change; and nobody rewrites it.
@Suite(.tags(.database)) struct AuditTrailTests {
    func actions(of objectOrOwner: String) async throws -> [(action: String, actor: String)] {
        try await TestDatabase.pool.queryAll("""
            SELECT action, actor FROM audit.events WHERE object_id = \(objectOrOwner) OR owner_id = \(objectOrOwner) ORDER BY occurred_at, action
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
    }

    @Test func everyChannelWritesTheTrail() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        // REST API: sign-up, vehicle, quote, bind, card, top-up, link request, cancel.
        let driver = try await TestDriver.make(server)
        let me = "driver:\(driver.id)"
        let quote = try await driver.quote().json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(2000, card: card).status == 201)
        let rider = "rider-\(UUID().uuidString.prefix(8))"
        // Provider: the link confirmation and a shift event; a job then opens the session.
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        let provider = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let eventID = "audit-\(UUID().uuidString.prefix(8))"
        // A shift that starts after the policy did (to the whole second, as events are dated).
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await provider.send(eventID, driver: rider, "shift_started", RFC3339.format(Date())).status == 202)
        var trail: [(action: String, actor: String)] = []
        for _ in 0..<40 {
            trail = try await actions(of: driver.id)
            if trail.contains(where: { $0.action == "cover.session_opened" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await driver.client.json("POST", "/v1/policies/\(policy["id"]!)/cancel", token: driver.token).status == 200)
        trail = try await actions(of: driver.id)

        func actor(of action: String) -> String? { trail.first { $0.action == action }?.actor }
        #expect(actor(of: "drivers.signed_up") == me)
        #expect(actor(of: "vehicles.added") == me)
        #expect(actor(of: "quotes.created") == me)
        #expect(actor(of: "policies.bound") == me)
        #expect(actor(of: "payments.card_added") == me)
        #expect(actor(of: "payments.created") == me)
        #expect(actor(of: "wallet.topped_up") != nil)
        #expect(actor(of: "work_providers.link_requested") == me)
        #expect(actor(of: "work_providers.link_confirmed") == "provider:deliveroo")
        #expect(actor(of: "work_providers.event_received") == "provider:deliveroo")
        #expect(actor(of: "cover.session_opened") == "system:cover.apply_provider_events", "\(trail)")
        #expect(actor(of: "policies.cancelled") == me)

        // The command line: grant-promo, as the operator running it.
        var environment = ProcessInfo.processInfo.environment
        environment["HOURGLASS_ENV"] = "test"
        environment["DATABASE_URL"] = TestDatabase.url
        environment["USER"] = "ops-oncall"
        let email = try #require(try await driver.client.json("GET", "/v1/me", token: driver.token).json()["email"] as? String)
        let process = try ChildProcess(executable: ServerProcess.executable, arguments: ["grant-promo", "--email", email, "--amount", "500", "--reason", "Sorry for the wait", "--reference", "audit-\(driver.id)"], environment: environment,
                                       directory: TestServer.repositoryRoot, standardOutput: .discard)
        let exitStatus = await process.waitUntilExit()
        #expect(exitStatus == 0)
        trail = try await actions(of: driver.id)
        #expect(actor(of: "wallet.promo_granted") == "cli:ops-oncall")

        // Nobody rewrites it: not the runtime role (no right), not even through a trigger bypass.
        for statement: SQL in ["UPDATE audit.events SET actor = 'nobody' WHERE owner_id = '\(unsafeRaw: driver.id)'",
                               "DELETE FROM audit.events WHERE owner_id = '\(unsafeRaw: driver.id)'"] {
            await #expect(throws: PostgresError.self) { try await TestDatabase.pool.execute(statement) }
        }
    }
}
