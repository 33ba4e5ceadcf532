public import AppKernel
public import Identity

/// Card payments through the card processor, SCA, and its webhooks (PRODUCT.md: payments).
public struct PaymentsModule: AppModule {
    public static let name = "payments"
    let routes: PaymentRoutes

    public init(payments: Payments, identity: Identity, webhookSecret: String) {
        routes = PaymentRoutes(payments: payments, identity: identity, webhookSecret: webhookSecret)
    }

    public func registerRoutes(on collector: RouteCollector) {
        let routes = routes
        collector.post("/v1/payment-methods", bodyLimit: 16 * 1024) { request, context in try await routes.addCard(request, context) }
        collector.get("/v1/payment-methods") { request, context in try await routes.listCards(request, context) }
        collector.get("/v1/payments/{id}") { request, context in try await routes.show(request, context) }
        collector.post("/v1/payments/{id}/confirm", bodyLimit: 1024) { request, context in try await routes.confirm(request, context) }
        collector.post("/v1/webhooks/psp", bodyLimit: 256 * 1024) { request, context in try await routes.webhook(request, context) }
    }
}
