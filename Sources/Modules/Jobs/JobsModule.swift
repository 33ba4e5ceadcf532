public import AppKernel

/// The PostgreSQL job queue and scheduler (PRODUCT.md: jobs).
/// It serves no HTTP routes of its own: other modules call its public API (`JobQueue`), and the
/// executable's `Reactions` runs its scheduled work. Admin pages join here as they come.
public struct JobsModule: AppModule {
    public static let name = "jobs"

    public init() {}
}
