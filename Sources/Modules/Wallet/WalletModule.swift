public import AdminUI
public import AppKernel
public import Identity

/// The prepaid balance and auto top-up (PRODUCT.md: wallet).
public struct WalletModule: AppModule, AdminContributing {
    public static let name = "wallet"
    let routes: WalletRoutes

    public init(wallet: Wallet, identity: Identity) {
        routes = WalletRoutes(wallet: wallet, identity: identity)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { WalletAdmin(wallet: routes.wallet, identity: routes.identity) }
}
