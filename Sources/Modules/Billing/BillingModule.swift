public import AdminUI
public import AppKernel

/// Itemised money history and weekly statements (PRODUCT.md: billing). Every charge's gross,
/// net and IPT are in the ledger postings it reads: IPT = round_half_up(gross × 3/28).
public struct BillingModule: AppModule, AdminContributing {
    public static let name = "billing"
    let routes: BillingRoutes

    public init(app: AppContext) { routes = BillingRoutes(app: app) }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { BillingAdmin(app: routes.app) }
}
