public import AppKernel
public import Foundation
public import Postgres

/// The vehicles module's public API for other modules.
public struct Vehicles: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The vehicle if it belongs to `driverID`; nil otherwise (another driver's id is 404).
    public func vehicle(_ id: UUID, ownedBy driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Vehicle? {
        try await VehiclesStore(database: database ?? app.database).find(id: id, driverID: driverID)
    }
}
