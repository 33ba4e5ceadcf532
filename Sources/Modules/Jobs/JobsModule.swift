public import AdminUI
public import AppKernel

/// The PostgreSQL job queue and scheduler (PRODUCT.md: jobs).
/// It serves no HTTP routes of its own: other modules call its public API (`JobQueue`), and the
/// executable's `Reactions` runs its scheduled work. Its admin pages show the queue to engineers.
public struct JobsModule: AppModule, AdminContributing {
    public static let name = "jobs"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { JobsAdmin(app: app) }
}
