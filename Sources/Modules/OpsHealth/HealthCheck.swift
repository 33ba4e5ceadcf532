import AppKernel
import Logging
import Foundation
import HTTPServer
import Postgres

/// Readiness: one round trip that both proves the database answers and reads the schema
/// version, bounded by `HEALTH_DB_TIMEOUT_MS` (acquiring a connection included), so the check
/// answers within that deadline even when the database hangs or is down. It holds no state:
/// when the database comes back, the next check simply succeeds.
struct HealthCheck: Sendable {
    let app: AppContext

    struct Report: Encodable {
        struct Checks: Encodable {
            let database: DatabaseCheck
            let migrations: MigrationsCheck
        }
        struct DatabaseCheck: Encodable {
            let status: String
            let durationMs: Double
            let error: String?
        }
        struct MigrationsCheck: Encodable {
            let status: String
            let version: Int?
            let expectedVersion: Int?
        }
        let status: String
        let checks: Checks

        func response() throws -> HTTPResponse {
            var response = try HTTPResponse.json(self, status: status == "ok" ? .ok : .serviceUnavailable)
            response.headers.add(name: "cache-control", value: "no-store")
            return response
        }
    }

    func run() async -> Report {
        let start = ContinuousClock.now
        let database: Report.DatabaseCheck
        let migrations: Report.MigrationsCheck
        do {
            let version = try await app.database.query(
                "SELECT 1, (SELECT max(version) FROM public.schema_migrations)",
                timeout: app.config.healthDatabaseTimeout
            ).first.map { try $0.decode(Int32?.self, at: 1) } ?? nil
            database = .init(status: "ok", durationMs: milliseconds(since: start), error: nil)
            let current = Int(version ?? 0)
            migrations = current >= app.expectedSchemaVersion
                ? .init(status: "ok", version: current, expectedVersion: nil)
                : .init(status: "pending", version: current, expectedVersion: app.expectedSchemaVersion)
        } catch {
            let reason = switch (error as? PostgresError)?.code {
            case .queryTimeout?, .poolTimeout?: "timeout"
            case .connectionFailed?, .connectionClosed?: "unavailable"
            default: "error"
            }
            app.logger.warning("health check failed", metadata: ["error": "\(error)"])
            database = .init(status: "error", durationMs: milliseconds(since: start), error: reason)
            migrations = .init(status: "unknown", version: nil, expectedVersion: app.expectedSchemaVersion)
        }
        let healthy = database.status == "ok" && migrations.status == "ok"
        return Report(status: healthy ? "ok" : "error", checks: .init(database: database, migrations: migrations))
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        return Double(micros) / 1000
    }
}
