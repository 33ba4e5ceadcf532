public import AdminUI
public import AppKernel

/// Refunds (PRODUCT.md: refunds): money back where it came from, card or wallet.
/// It serves no HTTP routes of its own: other modules call its public API (`Refunds`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages list refunds, and the
/// payment pages show them through `RefundsAdmin`.
public struct RefundsModule: AppModule, AdminContributing {
    public static let name = "refunds"
    let app: AppContext
    let refunds: Refunds?

    public init(app: AppContext, refunds: Refunds? = nil) {
        self.app = app
        self.refunds = refunds
    }

    public var adminSection: any AdminSection { RefundsAdmin(app: app, refunds: refunds) }
}
