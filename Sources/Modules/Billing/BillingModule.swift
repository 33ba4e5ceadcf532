public import AppKernel
import HTTPServer
public import Identity
import Ledger

/// Itemised money history (PRODUCT.md: billing). Every charge's gross, net and IPT are in the
/// ledger postings it reads: IPT = round_half_up(gross × 3/28), net = gross − IPT.
public struct BillingModule: AppModule {
    public static let name = "billing"
    let app: AppContext
    let identity: Identity

    public init(app: AppContext, identity: Identity) {
        self.app = app
        self.identity = identity
    }

    public func registerRoutes(on routes: RouteCollector) {
        let app = app, identity = identity
        routes.get("/v1/transactions") { request, context in
            let caller = try await identity.authenticate(request, context)
            let page = try PageRequest(query: request.query)
            let rows = try await Ledger().transactions(of: caller.driverID, page: page, on: app.database)
            let (items, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
            return try .json(ListResponse(data: items, nextCursor: next))
        }
        let statements = Statements(app: app, identity: identity)
        routes.get("/v1/statements/{week}") { request, context in try await statements.show(request, context) }
    }
}
