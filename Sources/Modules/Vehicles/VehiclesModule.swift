public import AdminUI
public import AppKernel
public import Identity

/// Vehicles (PRODUCT.md: vehicles).
public struct VehiclesModule: AppModule, AdminContributing {
    public static let name = "vehicles"
    let app: AppContext
    let routes: VehiclesRoutes

    public init(app: AppContext, identity: Identity) {
        self.app = app
        routes = VehiclesRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { VehiclesAdmin(app: app) }
}
