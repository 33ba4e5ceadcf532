import Foundation
import Postgres

/// The readiness check's statements: one round trip each, under the check's deadline. Each also
/// says whether the session has the settings the wrapper relies on (UTC, ISO dates, …): behind
/// PgBouncer they come from the database's defaults, and a server connection without them
/// would read timestamps wrongly without any error, so readiness fails instead.
struct OpsHealthStore: Sendable {
    let database: any PostgresQueryable

    /// True when every required setting holds and both timeouts are set.
    private static let sessionFit: String = (PostgresConfiguration.requiredSessionSettings.map { "current_setting('\($0.name)') = '\($0.value)'" }
        + ["current_setting('statement_timeout') <> '0'", "current_setting('idle_in_transaction_session_timeout') <> '0'"])
        .joined(separator: " AND ")

    /// `SELECT 1`, in effect: whether the session is fit to serve.
    func ping(timeout: Duration) async throws -> Bool {
        try await database.query("SELECT \(unsafeRaw: Self.sessionFit)", timeout: timeout).first.map { try $0.decode(Bool.self, at: 0) } ?? false
    }

    /// The applied schema version and whether the session is fit, in one round trip.
    func schemaVersion(timeout: Duration) async throws -> (version: Int, sessionFit: Bool) {
        let row = try await database.query("SELECT \(unsafeRaw: Self.sessionFit), (SELECT max(version) FROM public.schema_migrations)",
                                           timeout: timeout).first
        let version = try row.map { try $0.decode(Int32?.self, at: 1) } ?? nil
        return (Int(version ?? 0), try row.map { try $0.decode(Bool.self, at: 0) } ?? false)
    }
}
