public import AdminUI
public import AppKernel

/// Underwriting (PRODUCT.md: underwriting): data-driven acceptance rules, every decline reason.
/// It serves no HTTP routes of its own: other modules call its public API (`Underwriting`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages show the rule sets and
/// let pricing draft a new one that finance approves for publication.
public struct UnderwritingModule: AppModule, AdminContributing {
    public static let name = "underwriting"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { UnderwritingAdmin(app: app) }
}
