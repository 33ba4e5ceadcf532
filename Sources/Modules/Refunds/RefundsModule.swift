public import AppKernel

/// Refunds (PRODUCT.md: refunds): money back where it came from, card or wallet.
/// It serves no HTTP routes of its own: other modules call its public API (`Refunds`), and the
/// executable's `Reactions` runs its scheduled work. Admin pages join here as they come.
public struct RefundsModule: AppModule {
    public static let name = "refunds"

    public init() {}
}
