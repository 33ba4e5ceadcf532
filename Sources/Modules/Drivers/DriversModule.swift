public import AdminUI
public import AppKernel
public import Identity

/// Driver profiles and licences (PRODUCT.md: drivers).
public struct DriversModule: AppModule, AdminContributing {
    public static let name = "drivers"
    let app: AppContext
    let identity: Identity
    let routes: DriversRoutes

    public init(app: AppContext, identity: Identity) {
        self.app = app
        self.identity = identity
        routes = DriversRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { DriversAdmin(app: app, identity: identity) }
}
