public import AppKernel

/// Issued documents (PRODUCT.md: documents): certificates and statements, immutable once stored.
/// It serves no HTTP routes of its own: other modules call its public API (`Documents`), and the
/// executable's `Reactions` runs its scheduled work. Admin pages join here as they come.
public struct DocumentsModule: AppModule {
    public static let name = "documents"

    public init() {}
}
