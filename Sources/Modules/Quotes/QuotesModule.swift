public import AdminUI
public import AppKernel
public import Identity

/// Quotes (PRODUCT.md: quotes): underwritten, priced, valid 30 minutes, immutable.
public struct QuotesModule: AppModule, AdminContributing {
    public static let name = "quotes"
    let app: AppContext
    let routes: QuotesRoutes

    public init(app: AppContext, identity: Identity) {
        self.app = app
        routes = QuotesRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { QuotesAdmin(app: app) }
}
