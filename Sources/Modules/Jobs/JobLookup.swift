public import AppKernel
public import Foundation

/// Where one job stands, for other modules' admin pages (the provider event inspector shows
/// the cover engine's job for each event).
public struct JobSummary: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    /// `queued`, `running`, `succeeded`, `dead`, or `failed` (queued again after an error,
    /// waiting for its retry at `runAt`).
    public let state: String
    public let attempts: Int
    public let maxAttempts: Int
    public let runAt: Date
    public let finishedAt: Date?
    public let lastError: String?
}

/// Read-only look-ups of jobs by their unique key (`enqueue(_:uniqueKey:)`).
public struct JobLookup: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The jobs enqueued with these unique keys (at most 200), by key.
    public func jobs(uniqueKeys: [String]) async throws -> [String: JobSummary] {
        guard !uniqueKeys.isEmpty else { return [:] }
        let rows = try await JobsStore(database: app.database, queue: "").jobs(uniqueKeys: Array(uniqueKeys.prefix(200)))
        return Dictionary(rows.compactMap { row in row.uniqueKey.map { ($0, row.summary) } }, uniquingKeysWith: { first, _ in first })
    }
}
