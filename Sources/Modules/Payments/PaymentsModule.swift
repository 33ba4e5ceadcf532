public import AdminUI
public import AppKernel
public import Identity

/// Card payments through the card processor, SCA, and its webhooks (PRODUCT.md: payments).
/// Installs the card processor's signature check for its webhook.
public struct PaymentsModule: AppModule, AdminContributing {
    public static let name = "payments"
    let routes: PaymentsRoutes
    let webhookSecret: String
    /// The refunds of payments, for the payment pages (refunds depend on payments, so they are
    /// handed in, not looked up).
    let refunds: (any PaymentRefundsSource)?

    public init(payments: Payments, identity: Identity, webhookSecret: String, refunds: (any PaymentRefundsSource)? = nil) {
        routes = PaymentsRoutes(payments: payments, identity: identity)
        self.webhookSecret = webhookSecret
        self.refunds = refunds
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var authenticators: [Access: any Authenticator] {
        [.cardProcessor: ProcessorSignatureAuthenticator(secret: webhookSecret, clock: routes.payments.app.clock)]
    }

    public var adminSection: any AdminSection { PaymentsAdmin(app: routes.payments.app, identity: routes.identity, refunds: refunds) }
}
