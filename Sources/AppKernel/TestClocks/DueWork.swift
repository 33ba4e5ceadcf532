public import Foundation
public import Postgres
import Synchronization

/// What a test-clock advance asks each module to catch up on.
public struct ClockAdvance: Sendable {
    public let clockID: UUID
    public let from: Date
    public let to: Date
}

/// Work that falls due with time (session closes and cuts, expiries, scheduled starts, auto
/// top-ups). Modules register a runner once at start-up; advancing a test clock calls every
/// runner, in registration order, before answering. The same runners serve the real clock
/// from the job scheduler, so sandbox and production follow one code path.
public final class DueWorkRegistry: Sendable {
    public typealias Runner = @Sendable (ClockAdvance, PostgresPool) async throws -> Void

    private let runners = Mutex<[(name: String, run: Runner)]>([])

    public init() {}

    /// Adds a runner. `name` appears in logs and errors.
    public func register(_ name: String, _ runner: @escaping Runner) {
        runners.withLock { $0.append((name, runner)) }
    }

    public var names: [String] { runners.withLock { $0.map(\.name) } }

    func runAll(_ advance: ClockAdvance, database: PostgresPool) async throws {
        for (_, run) in runners.withLock({ $0 }) { try await run(advance, database) }
    }
}
