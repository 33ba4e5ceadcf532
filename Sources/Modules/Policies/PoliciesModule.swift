public import AppKernel
public import Identity
public import Payments
public import Wallet

/// Policies (PRODUCT.md: policies): binding quotes, paying for hourly blocks, cancelling with
/// refunds, certificates.
public struct PoliciesModule: AppModule {
    public static let name = "policies"
    let routes: PolicyRoutes

    public init(app: AppContext, identity: Identity, wallet: Wallet, outcomes: PaymentOutcomes) {
        routes = PolicyRoutes(app: app, identity: identity, wallet: wallet)
        routes.issuance.registerOutcomes(outcomes)
    }

    public func registerRoutes(on collector: RouteCollector) {
        let routes = routes
        collector.post("/v1/policies", bodyLimit: 16 * 1024) { request, context in try await routes.create(request, context) }
        collector.get("/v1/policies") { request, context in try await routes.list(request, context) }
        collector.get("/v1/policies/{id}") { request, context in try await routes.show(request, context) }
        collector.post("/v1/policies/{id}/cancel", bodyLimit: 16 * 1024) { request, context in try await routes.cancel(request, context) }
        collector.get("/v1/policies/{id}/certificate") { request, context in try await routes.certificate(request, context) }
    }
}
