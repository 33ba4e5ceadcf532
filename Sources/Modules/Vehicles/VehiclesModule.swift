public import AppKernel
public import Identity

/// Vehicles (PRODUCT.md: vehicles).
public struct VehiclesModule: AppModule {
    public static let name = "vehicles"
    let routes: VehiclesRoutes

    public init(app: AppContext, identity: Identity) {
        routes = VehiclesRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }
}
