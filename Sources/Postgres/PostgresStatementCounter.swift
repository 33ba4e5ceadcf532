import Synchronization

/// Counts the statements a unit of work sends (one per round trip: a prepared statement's first
/// `Parse` is not counted, it happens once per connection). The application binds one per HTTP
/// request, exposes the totals per route in `/metrics`, and a test holds every route to its
/// round-trip budget, so a later change cannot quietly add queries.
///
/// ```swift
/// let counter = PostgresStatementCounter()
/// try await PostgresStatementCounter.$current.withValue(counter) { try await handler() }
/// counter.count  // statements the handler (and the tasks it started) sent
/// ```
public final class PostgresStatementCounter: Sendable {
    /// The counter of the current task (inherited by child tasks), if any.
    @TaskLocal public static var current: PostgresStatementCounter?

    private let sent = Atomic<Int>(0)

    public init() {}

    /// Statements sent so far.
    public var count: Int { sent.load(ordering: .relaxed) }

    func countStatement() {
        sent.add(1, ordering: .relaxed)
    }
}
