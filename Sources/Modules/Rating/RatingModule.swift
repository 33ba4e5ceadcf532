public import AppKernel

/// Rating (PRODUCT.md: rating): versioned rate tables and the premium tax rule.
/// It serves no HTTP routes of its own: other modules call its public API (`Rating`), and the
/// executable's `Reactions` runs its scheduled work. Admin pages join here as they come.
public struct RatingModule: AppModule {
    public static let name = "rating"

    public init() {}
}
