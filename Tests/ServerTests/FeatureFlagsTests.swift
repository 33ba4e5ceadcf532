import AdminUI
import AppKernel
import FeatureFlags
import Foundation
import Identity
import Logging
import Migrations
import OpsHealth
import Postgres
import TestSupport
import Testing

/// Flags and settings: typed, stable targeting, every process within 5 s, and maintenance
/// mode as OPS.md describes it. Switching maintenance on would stop every other test's driver
/// API, so those tests run on a database of their own.
@Suite(.tags(.database)) struct FeatureFlagsTests {
    static let probe = FlagDefinition("probe_setting", .integer(default: 7, range: 0...1000), owner: "tests", "a setting only tests read")

    /// A migrated database of its own, with a pool on it.
    func withOwnDatabase(_ body: (PostgresPool) async throws -> Void) async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            let migrations = try Migration.load(directory: TestServer.repositoryRoot.appendingPathComponent("migrations"))
            _ = try await Migrator(migrations: migrations).migrate(on: connection)
            await connection.close()
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 8))
            do { try await body(pool) } catch { FeatureFlags.forget(pool); await pool.close(); throw error }
            FeatureFlags.forget(pool)
            await pool.close()
        }
    }

    @Test func aChangeReachesEveryProcessWithinFiveSeconds() async throws {
        try await withOwnDatabase { pool in
            // Two caches on two pools: what two processes have.
            let other = PostgresPool(configuration: pool.configuration, options: .init(maxConnections: 2))
            let config = try TestServer.config()
            let first = FeatureFlags.shared(app: AppContext(config: config, database: pool, logger: .init(label: "a"), expectedSchemaVersion: 0))
            let second = FeatureFlags.shared(app: AppContext(config: config, database: other, logger: .init(label: "b"), expectedSchemaVersion: 0))
            #expect(first !== second)
            first.declare([Self.probe])
            second.declare([Self.probe])
            #expect(await second.integer(Self.probe) == 7, "the default until someone changes it")
            let start = ContinuousClock.now
            try await AuditContext.acting(as: AuditContext(actor: "staff:tester")) {
                try await first.set(Self.probe.key, to: .integer(42), reason: "testing")
            }
            #expect(await first.integer(Self.probe) == 42, "at once where it was changed")
            while await second.integer(Self.probe) != 42, ContinuousClock.now - start < .seconds(6) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await second.integer(Self.probe) == 42)
            #expect(ContinuousClock.now - start < .seconds(5), "within 5 seconds in another process")
            // Out of range or of the wrong type: refused, nothing stored.
            await #expect(throws: AppError.self) { try await first.set(Self.probe.key, to: .integer(5000), reason: "x") }
            await #expect(throws: AppError.self) { try await first.set(Self.probe.key, to: .string("7"), reason: "x") }
            await #expect(throws: AppError.self) { try await first.set("no_such_key", to: .integer(1), reason: "x") }
            // Audited with before and after.
            let audit = try await pool.queryOne("SELECT before::text, after::text, actor FROM audit.events WHERE action = 'feature_flags.changed'") {
                (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2))
            }
            #expect(audit.0 == "7" && audit.1 == "42" && audit.2 == "staff:tester")
            FeatureFlags.forget(other)
            await other.close()
        }
    }

    @Test func percentagesAreStablePerDriverAndListsAreExact() {
        let flag = FlagDefinition("rollout", .flag(defaultOn: false), owner: "tests", "a rollout")
        _ = flag
        let drivers = (0..<2000).map { _ in UUID() }
        let thirty = FlagTargetingProbe.share(of: drivers, percentage: 30, key: "rollout")
        #expect((500...700).contains(thirty), "about 30% of 2000: \(thirty)")
        #expect(FlagTargetingProbe.share(of: drivers, percentage: 30, key: "rollout") == thirty, "the same drivers every time")
        #expect(FlagTargetingProbe.share(of: drivers, percentage: 0, key: "rollout") == 0)
        #expect(FlagTargetingProbe.share(of: drivers, percentage: 100, key: "rollout") == 2000)
    }

    @Test func maintenanceStopsTheDriverAPIButNotHealthEventsOrTheAdmin() async throws {
        try await withOwnDatabase { pool in
            let server = try Fixtures.server(database: pool)
            defer { Task { await server.stop() } }
            let driver = try await TestDriver.make(server)
            let rider = "rider-\(UUID().uuidString.prefix(8))"
            #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
            let staff = try await StaffBrowser.signedIn(server, role: .engineer)
            #expect(try await staff.get("/admin/ops-health").status == 200)
            let on = try await staff.post("/admin/ops-health/maintenance", ["value": "true", "note": "database upgrade"])
            #expect(on.status == 200)
            #expect(on.text.contains("Maintenance mode is on"))

            let refused = try await driver.client.json("GET", "/v1/me", token: driver.token)
            #expect(refused.status == 503)
            #expect(refused.header("retry-after") == "300")
            #expect(refused.header("content-type") == "application/problem+json")
            #expect((try refused.json()["type"] as? String)?.hasSuffix("/maintenance") == true)
            #expect(try await TestConnection(port: server.port).json("POST", "/v1/drivers", signUpBody()).status == 503)
            #expect(try await TestConnection(port: server.port).request("GET", "/health").status == 200)
            #expect(try await TestConnection(port: server.port).request("GET", "/health/live").status == 200)
            let provider = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
            #expect(try await provider.send("m-\(UUID().uuidString.prefix(8))", driver: rider, "shift_started", RFC3339.format(Date())).status == 202,
                    "provider events are still accepted and stored")
            #expect(try await staff.get("/admin/").status == 200, "the admin keeps working")

            let off = try await staff.post("/admin/ops-health/maintenance", ["value": "false", "note": "done"])
            #expect(off.status == 200)
            #expect(try await driver.client.json("GET", "/v1/me", token: driver.token).status == 200)
            // Switching needs the maintenance permission: support has not got it.
            let support = try await StaffBrowser.signedIn(server, role: .support)
            #expect(try await support.get("/admin/ops-health").status == 403)
            #expect(try await support.post("/admin/ops-health/maintenance", ["value": "true", "note": "x"]).status == 403)
        }
    }

    @Test func signUpsCanBePaused() async throws {
        try await withOwnDatabase { pool in
            let server = try Fixtures.server(database: pool)
            defer { Task { await server.stop() } }
            let flags = FeatureFlags.shared(app: server.app)
            try await AuditContext.acting(as: AuditContext(actor: "staff:tester")) {
                try await flags.set("sign_ups_open", to: .bool(false), reason: "fraud wave")
            }
            let paused = try await TestConnection(port: server.port).json("POST", "/v1/drivers", signUpBody())
            #expect(paused.status == 503)
            #expect((try paused.json()["type"] as? String)?.hasSuffix("/sign-ups-paused") == true)
            try await AuditContext.acting(as: AuditContext(actor: "staff:tester")) {
                try await flags.set("sign_ups_open", to: .bool(true), reason: "over")
            }
            #expect(try await TestConnection(port: server.port).json("POST", "/v1/drivers", signUpBody()).status == 201)
        }
    }
}
