public import AppKernel
public import Identity

/// Driver profiles and licences (PRODUCT.md: drivers).
public struct DriversModule: AppModule {
    public static let name = "drivers"
    let routes: DriversRoutes

    public init(app: AppContext, identity: Identity) {
        routes = DriversRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }
}
