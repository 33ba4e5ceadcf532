import AppKernel
public import Foundation
public import Logging
public import Postgres
import Synchronization

/// A job as a handler sees it.
public struct Job: Sendable {
    public let id: Int64
    public let kind: String
    public let payload: PostgresJSON
    public let attempt: Int
}

/// What a job handler does; it must be idempotent (a job can run again after a crash).
public typealias JobHandler = @Sendable (Job) async throws -> Void

/// The PostgreSQL job queue (PRODUCT.md: jobs): enqueue inside the caller's transaction,
/// claim with `FOR UPDATE SKIP LOCKED` under a lease, retry with exponential backoff and
/// jitter, park in `dead` after `max_attempts`, wake workers with NOTIFY.
public final class JobQueue: Sendable {
    public static let channel = "hourglass_jobs"
    let database: PostgresPool
    let logger: Logger
    /// Workers of this queue claim only its jobs.
    public let name: String
    private let handlers = Mutex<[String: JobHandler]>([:])
    private let recurring = Mutex<[(kind: String, every: TimeInterval, atStart: Bool)]>([])
    /// Per process: the run-at-start jobs have been queued.
    private let startedUp = Atomic<Bool>(false)
    private let processKey = UUID().uuidString.lowercased()
    /// Claim queries run by this process's workers (`/metrics`: an idle worker claims about
    /// once per poll interval; many more means they are not waiting).
    private let claims = Atomic<Int>(0)
    /// Times a worker found nothing due and waited.
    let idleWaits = Atomic<Int>(0)
    public var claimAttempts: Int { claims.load(ordering: .relaxed) }

    public init(database: PostgresPool, logger: Logger, name: String = "default") {
        self.database = database
        self.logger = logger
        self.name = name
    }

    /// Registers the handler for `kind` (at start-up).
    public func register(_ kind: String, _ handler: @escaping JobHandler) {
        handlers.withLock { $0[kind] = handler }
    }

    /// Runs `kind` every `interval` (one job per time slot, whichever worker gets there first),
    /// and with `atStart` also as soon as this process's workers start (a recovery sweep
    /// should not wait for its slot after a crash).
    public func schedule(_ kind: String, every interval: TimeInterval, atStart: Bool = false) {
        recurring.withLock { $0.append((kind, interval, atStart)) }
    }

    /// Enqueues a job in the caller's transaction; with a `uniqueKey` a second enqueue is a
    /// no-op. Workers are woken when the transaction commits.
    @discardableResult
    public func enqueue(_ kind: String, payload: PostgresJSON = PostgresJSON(text: "{}"), uniqueKey: String? = nil,
                        runAt: Date? = nil, maxAttempts: Int = 10, on database: any PostgresQueryable) async throws -> Bool {
        try await JobsStore(database: database, queue: name)
            .insert(kind: kind, payload: payload, uniqueKey: uniqueKey, runAt: runAt, maxAttempts: maxAttempts)
    }

    private var store: JobsStore { JobsStore(database: database, queue: name) }

    /// Claims the next due job (or one whose worker's lease ran out) for `worker`, among the
    /// kinds this process has handlers for (so an older build never claims a newer kind).
    func claim(worker: String, lease: TimeInterval) async throws -> Job? {
        let kinds = handlers.withLock { Array($0.keys) }
        guard !kinds.isEmpty else { return nil }
        claims.add(1, ordering: .relaxed)
        return try await store.claimNext(kinds: kinds, worker: worker, lease: lease)
    }

    /// Runs now, here, the queued jobs of `kind` whose payload has `field` = `value` (a test
    /// clock's advance runs its drivers' automatic top-ups before answering), then waits up to
    /// `patience` for any such job another worker is running. Returns how many ran here.
    @discardableResult
    public func runQueued(kind: String, payloadField field: String, equals value: String, worker: String = "inline",
                          patience: Duration = .seconds(10)) async throws -> Int {
        var ran = 0
        while let job = try await store.claimQueued(kind: kind, field: field, value: value, worker: worker) {
            try await run(job, worker: worker)
            ran += 1
        }
        let deadline = ContinuousClock.now + patience
        while ContinuousClock.now < deadline, try await store.isRunning(kind: kind, field: field, value: value) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return ran
    }

    /// Runs one claimed job and records the outcome. Returns false when nothing was due.
    @discardableResult
    public func runNext(worker: String, lease: TimeInterval = 60) async throws -> Bool {
        guard let job = try await claim(worker: worker, lease: lease) else { return false }
        try await run(job, worker: worker)
        return true
    }

    private func run(_ job: Job, worker: String) async throws {
        guard let handler = handlers.withLock({ $0[job.kind] }) else { return }
        do {
            // What a job changes is on the audit trail as done by the system, naming the job.
            try await AuditContext.acting(as: AuditContext(actor: "system:\(job.kind)", requestID: "job:\(job.id)")) {
                try await handler(job)
            }
            try await store.succeeded(job.id, worker: worker)
        } catch {
            logger.warning("job failed", metadata: ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "error": "\(error)"])
            // Exponential backoff with jitter, so retries of many failing jobs spread out.
            let backoff = min(3600, pow(2, Double(job.attempt)) * Double.random(in: 0.5...1.5))
            try await store.failed(job.id, worker: worker, error: "\(error)", retry: true, backoff: backoff)
        }
    }

    /// Makes sure each recurring job has its next slot queued (slots on the database's clock).
    func planRecurring() async throws {
        if !startedUp.exchange(true, ordering: .relaxed) {
            for (kind, _, atStart) in recurring.withLock({ $0 }) where atStart {
                try await enqueue(kind, uniqueKey: "start:\(kind):\(processKey)", maxAttempts: 3, on: database)
            }
        }
        let now = try await store.now()
        for (kind, every, _) in recurring.withLock({ $0 }) {
            let slot = (now / every).rounded(.down) * every + every
            try await enqueue(kind, uniqueKey: "recurring:\(kind):\(Int(slot))", runAt: Date(timeIntervalSince1970: slot),
                              maxAttempts: 3, on: database)
        }
    }
}

extension JobQueue {
    /// Jobs per status in this queue (for `GET /metrics`).
    public func statusCounts() async throws -> [String: Int] { try await store.statusCounts() }
}
