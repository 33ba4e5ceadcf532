public import AppKernel
public import Foundation
public import Identity
public import Postgres

/// Driver profiles and licences (PRODUCT.md: drivers).
public struct DriversModule: AppModule {
    public static let name = "drivers"
    let routes: DriverRoutes

    public init(app: AppContext, identity: Identity) {
        routes = DriverRoutes(app: app, identity: identity)
    }

    public func registerRoutes(on collector: RouteCollector) {
        let routes = routes
        collector.post("/v1/drivers", bodyLimit: 16 * 1024) { request, context in try await routes.signUp(request, context) }
        collector.get("/v1/me") { request, context in try await routes.me(request, context) }
    }
}

/// The drivers module's public API for other modules.
public struct Drivers: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// Pass the caller's transaction when inside one: a second connection taken while holding
    /// one can starve the pool under load.
    public func profile(_ id: UUID, on database: (any PostgresQueryable)? = nil) async throws -> DriverProfile? {
        try await DriverStore(database: database ?? app.database).find(id: id)
    }
}
