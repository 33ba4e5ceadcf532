public import AdminUI
public import AppKernel
public import Identity
public import Payments
public import Postgres
public import Wallet

/// Policies (PRODUCT.md: policies): binding quotes, paying for hourly blocks, cancelling with
/// refunds, certificates.
public struct PoliciesModule: AppModule, AdminContributing {
    public static let name = "policies"
    let routes: PoliciesRoutes

    public init(app: AppContext, identity: Identity, wallet: Wallet, endings: PolicyEndings) {
        routes = PoliciesRoutes(app: app, identity: identity, wallet: wallet, endings: endings)
    }

    /// A block's card payment ended (inside the transaction recording it): see `PolicyIssuance`.
    public func blockPaymentSettled(_ payment: Payment, on transaction: PostgresConnection) async throws {
        try await routes.issuance.blockPaymentSettled(payment, on: transaction)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { PoliciesAdmin(app: routes.app, wallet: routes.wallet, endings: routes.endings) }
}
