public import AdminUI
public import AppKernel

/// Rating (PRODUCT.md: rating): versioned rate tables and the premium tax rule.
/// It serves no HTTP routes of its own: other modules call its public API (`Rating`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages show the rate tables and
/// let pricing draft a new version, priced with a what-if, that finance approves for publication.
public struct RatingModule: AppModule, AdminContributing {
    public static let name = "rating"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { RatingAdmin(app: app) }
}
