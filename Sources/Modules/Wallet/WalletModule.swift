public import AppKernel
public import Identity

/// The prepaid balance and auto top-up (PRODUCT.md: wallet).
public struct WalletModule: AppModule {
    public static let name = "wallet"
    let routes: WalletRoutes

    public init(wallet: Wallet, identity: Identity) {
        routes = WalletRoutes(wallet: wallet, identity: identity)
    }

    public func registerRoutes(on collector: RouteCollector) {
        let routes = routes
        collector.get("/v1/wallet") { request, context in try await routes.show(request, context) }
        collector.patch("/v1/wallet") { request, context in try await routes.update(request, context) }
        collector.post("/v1/wallet/top-ups", bodyLimit: 16 * 1024) { request, context in try await routes.topUp(request, context) }
    }
}
