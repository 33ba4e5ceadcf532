public import AppKernel

/// The double-entry ledger (PRODUCT.md: ledger): balanced postings, balances derived from them.
/// It serves no HTTP routes of its own: other modules call its public API (`Ledger`), and the
/// executable's `Reactions` runs its scheduled work. Admin pages join here as they come.
public struct LedgerModule: AppModule {
    public static let name = "ledger"

    public init() {}
}
