public import AppKernel
public import Identity

/// Quotes (PRODUCT.md: quotes): underwritten, priced, valid 30 minutes, immutable.
public struct QuotesModule: AppModule {
    public static let name = "quotes"
    let routes: QuotesRoutes

    public init(app: AppContext, identity: Identity) {
        routes = QuotesRoutes(app: app, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }
}
