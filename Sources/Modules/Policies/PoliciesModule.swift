public import AppKernel
public import Foundation
import Postgres
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

/// The policies module's public API for other modules.
public struct Policies: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The driver's standing PAYG policy (the newest one still in force), if any.
    public func standingPAYG(of driverID: UUID) async throws -> Policy? {
        try await app.database.queryOptional("""
            SELECT \(Policy.columns) FROM policies.policies
            WHERE driver_id = \(driverID) AND product = 'payg' AND status = 'active'
            ORDER BY created_at DESC LIMIT 1
            """, decode: Policy.init(row:))
    }

    /// The driver's policy, or nil (another driver's policy does not exist for them).
    public func policy(_ id: UUID, of driverID: UUID) async throws -> Policy? {
        try await PolicyStore(database: app.database).find(id: id, driverID: driverID)
    }
}
