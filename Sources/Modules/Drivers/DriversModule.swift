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

    public var endpoints: [Endpoint] { routes.endpoints }
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
