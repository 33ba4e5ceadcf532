public import AdminUI
public import AppKernel

/// Issued documents (PRODUCT.md: documents): certificates and statements, immutable once stored.
/// It serves no HTTP routes of its own: other modules call its public API (`Documents`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages show a stored document.
public struct DocumentsModule: AppModule, AdminContributing {
    public static let name = "documents"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { DocumentsAdmin(app: app) }
}
