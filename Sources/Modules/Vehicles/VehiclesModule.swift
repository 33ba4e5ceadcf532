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

    public func registerRoutes(on collector: RouteCollector) {
        let routes = routes
        collector.post("/v1/vehicles", bodyLimit: 16 * 1024) { request, context in try await routes.create(request, context) }
        collector.get("/v1/vehicles") { request, context in try await routes.list(request, context) }
        collector.get("/v1/vehicles/{id}") { request, context in try await routes.show(request, context) }
    }
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
