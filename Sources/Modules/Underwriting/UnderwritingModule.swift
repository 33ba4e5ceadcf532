public import AdminUI
public import AppKernel

/// Underwriting (PRODUCT.md: underwriting): data-driven acceptance rules, every decline reason.
/// It serves no HTTP routes of its own: other modules call its public API (`Underwriting`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages read the rule sets.
public struct UnderwritingModule: AppModule, AdminContributing {
    public static let name = "underwriting"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { UnderwritingAdmin(app: app) }
}
