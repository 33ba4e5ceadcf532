import Foundation
import Postgres

/// The readiness check's statements: one round trip each, under the check's deadline.
struct OpsHealthStore: Sendable {
    let database: any PostgresQueryable

    func ping(timeout: Duration) async throws {
        _ = try await database.query("SELECT 1", timeout: timeout)
    }

    /// `SELECT 1` and the applied schema version in one round trip.
    func schemaVersion(timeout: Duration) async throws -> Int {
        let read = try await database.query("SELECT 1, (SELECT max(version) FROM public.schema_migrations)", timeout: timeout)
            .first.map { try $0.decode(Int32?.self, at: 1) } ?? nil
        return Int(read ?? 0)
    }
}
