public import AppKernel
public import Foundation
public import Identity
public import Postgres

/// Vehicles (PRODUCT.md: vehicles).
public struct VehiclesModule: AppModule {
    public static let name = "vehicles"
    let routes: VehicleRoutes

    public init(app: AppContext, identity: Identity) {
        routes = VehicleRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }
}

/// The vehicles module's public API for other modules.
public struct Vehicles: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The vehicle if it belongs to `driverID`; nil otherwise (another driver's id is 404).
    public func vehicle(_ id: UUID, ownedBy driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Vehicle? {
        try await VehicleStore(database: database ?? app.database).find(id: id, driverID: driverID)
    }
}
