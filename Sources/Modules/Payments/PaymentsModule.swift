public import AppKernel
public import Identity

/// Card payments through the card processor, SCA, and its webhooks (PRODUCT.md: payments).
/// Installs the card processor's signature check for its webhook.
public struct PaymentsModule: AppModule {
    public static let name = "payments"
    let routes: PaymentsRoutes
    let webhookSecret: String

    public init(payments: Payments, identity: Identity, webhookSecret: String) {
        routes = PaymentsRoutes(payments: payments, identity: identity)
        self.webhookSecret = webhookSecret
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var authenticators: [Access: any Authenticator] {
        [.cardProcessor: ProcessorSignatureAuthenticator(secret: webhookSecret, clock: routes.payments.app.clock)]
    }
}
