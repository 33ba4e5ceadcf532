public import AppKernel
public import Foundation
public import Identity

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

    public func profile(_ id: UUID) async throws -> DriverProfile? {
        try await DriverStore(database: app.database).find(id: id)
    }
}
