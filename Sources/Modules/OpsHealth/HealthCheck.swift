import AppKernel
import Foundation
import HTTPServer
import Logging
import Postgres
import Synchronization

/// Readiness: a real `SELECT 1` through the pool, bounded by `HEALTH_DB_TIMEOUT_MS` (acquiring
/// a connection included), so the check answers within that deadline even when the database
/// hangs or is down. The schema version changes only when a deploy migrates, so it is read
/// along with the `SELECT 1` at most every few seconds and remembered in between. Nothing
/// else is remembered: when the database comes back, the next check simply succeeds.
/// The response is written by hand: load balancers call this constantly.
final class HealthCheck: Sendable {
    static let versionLifetime: Duration = .seconds(5)
    let app: AppContext
    private let knownVersion = Mutex<(version: Int, readAt: ContinuousClock.Instant)?>(nil)

    init(app: AppContext) { self.app = app }

    func response() async -> HTTPResponse {
        let start = ContinuousClock.now
        var version = knownVersion.withLock { known -> Int? in
            guard let known, ContinuousClock.now - known.readAt < Self.versionLifetime else { return nil }
            return known.version
        }
        let database: String
        var healthy = false
        do {
            let sessionFit: Bool
            if version == nil {
                let current = try await OpsHealthStore(database: app.database).schemaVersion(timeout: app.config.healthDatabaseTimeout)
                knownVersion.withLock { $0 = (current.version, ContinuousClock.now) }
                version = current.version
                sessionFit = current.sessionFit
            } else {
                sessionFit = try await OpsHealthStore(database: app.database).ping(timeout: app.config.healthDatabaseTimeout)
            }
            if sessionFit {
                database = #"{"duration_ms":\#(Self.milliseconds(since: start)),"status":"ok"}"#
                healthy = true
            } else {
                app.logger.error("health check: the database session lacks TimeZone=UTC or another required setting (run hourglass migrate)")
                database = #"{"duration_ms":\#(Self.milliseconds(since: start)),"error":"session_settings","status":"error"}"#
            }
        } catch {
            let reason = switch (error as? PostgresError)?.code {
            case .queryTimeout?, .poolTimeout?: "timeout"
            case .connectionFailed?, .connectionClosed?: "unavailable"
            default: "error"
            }
            app.logger.warning("health check failed", metadata: ["error": "\(error)"])
            database = #"{"duration_ms":\#(Self.milliseconds(since: start)),"error":"\#(reason)","status":"error"}"#
            version = nil
        }
        let migrations: String
        if let version {
            if version >= app.expectedSchemaVersion {
                migrations = #"{"status":"ok","version":\#(version)}"#
            } else {
                healthy = false
                migrations = #"{"expected_version":\#(app.expectedSchemaVersion),"status":"pending","version":\#(version)}"#
            }
        } else {
            migrations = #"{"expected_version":\#(app.expectedSchemaVersion),"status":"unknown"}"#
        }
        let body = #"{"checks":{"database":\#(database),"migrations":\#(migrations)},"status":"\#(healthy ? "ok" : "error")"}"#
        var response = HTTPResponse(status: healthy ? .ok : .serviceUnavailable, contentType: "application/json", body: Array(body.utf8))
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        return Double(micros) / 1000
    }
}
