public import AdminUI
public import AppKernel

/// The double-entry ledger (PRODUCT.md: ledger): balanced postings, balances derived from them.
/// It serves no HTTP routes of its own: other modules call its public API (`Ledger`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages show the journal, the
/// accounts and the check that balances equal their entries.
public struct LedgerModule: AppModule, AdminContributing {
    public static let name = "ledger"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { LedgerAdmin(app: app) }
}
