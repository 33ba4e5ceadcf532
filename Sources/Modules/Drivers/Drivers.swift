public import AppKernel
public import Foundation
public import Postgres

/// The drivers module's public API for other modules.
public struct Drivers: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// Pass the caller's transaction when inside one: a second connection taken while holding
    /// one can starve the pool under load.
    public func profile(_ id: UUID, on database: (any PostgresQueryable)? = nil) async throws -> DriverProfile? {
        try await DriversStore(database: database ?? app.database).find(id: id)
    }
}
