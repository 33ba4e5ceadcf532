public import AdminUI
public import AppKernel
public import Cover

/// Claims (PRODUCT.md: claims): the driver reports a loss against a policy that covered that
/// instant, then adds photos or PDFs.
public struct ClaimsModule: AppModule, AdminContributing {
    public static let name = "claims"
    let routes: ClaimsRoutes

    public init(app: AppContext, cover: CoverService) { routes = ClaimsRoutes(app: app, cover: cover) }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { ClaimsAdmin(app: routes.app, cover: routes.cover) }
}
