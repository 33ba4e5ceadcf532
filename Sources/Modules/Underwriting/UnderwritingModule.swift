public import AppKernel

/// Underwriting (PRODUCT.md: underwriting): data-driven acceptance rules, every decline reason.
/// It serves no HTTP routes of its own: other modules call its public API (`Underwriting`), and the
/// executable's `Reactions` runs its scheduled work. Admin pages join here as they come.
public struct UnderwritingModule: AppModule {
    public static let name = "underwriting"

    public init() {}
}
