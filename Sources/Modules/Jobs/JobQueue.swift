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
        let inserted = try await database.execute("""
            INSERT INTO jobs.jobs (queue, kind, payload, unique_key, run_at, max_attempts)
            VALUES (\(name), \(kind), \(payload), \(uniqueKey), coalesce(\(runAt), now()), \(Int32(maxAttempts)))
            ON CONFLICT (unique_key) DO NOTHING
            """)
        _ = try await database.query("SELECT pg_notify(\(Self.channel), \(kind))")
        return inserted == 1
    }

    /// Claims the next due job (or one whose worker's lease ran out) for `worker`, among the
    /// kinds this process has handlers for (so an older build never claims a newer kind).
    func claim(worker: String, lease: TimeInterval) async throws -> Job? {
        let kinds = handlers.withLock { Array($0.keys) }
        guard !kinds.isEmpty else { return nil }
        return try await database.queryOptional("""
            UPDATE jobs.jobs SET status = 'running', attempts = attempts + 1, locked_by = \(worker),
                   locked_until = now() + make_interval(secs => \(lease))
            WHERE id = (
                SELECT id FROM jobs.jobs
                WHERE queue = \(name) AND kind = ANY(\(kinds))
                  AND ((status = 'queued' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
                ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload, attempts
            """) { row in
            Job(id: try row.decode(Int64.self, at: 0), kind: try row.decode(String.self, at: 1),
                payload: try row.decode(PostgresJSON.self, at: 2), attempt: Int(try row.decode(Int32.self, at: 3)))
        }
    }

    /// Runs now, here, the queued jobs of `kind` whose payload has `field` = `value` (a test
    /// clock's advance runs its drivers' automatic top-ups before answering), then waits up to
    /// `patience` for any such job another worker is running. Returns how many ran here.
    @discardableResult
    public func runQueued(kind: String, payloadField field: String, equals value: String, worker: String = "inline",
                          patience: Duration = .seconds(10)) async throws -> Int {
        var ran = 0
        while let job = try await claim(kind: kind, field: field, value: value, worker: worker) {
            try await run(job, worker: worker)
            ran += 1
        }
        let deadline = ContinuousClock.now + patience
        while ContinuousClock.now < deadline, try await database.queryValue("""
            SELECT EXISTS (SELECT 1 FROM jobs.jobs WHERE queue = \(name) AND kind = \(kind) AND payload ->> \(field) = \(value)
                           AND status = 'running')
            """, as: Bool.self) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return ran
    }

    private func claim(kind: String, field: String, value: String, worker: String) async throws -> Job? {
        try await database.queryOptional("""
            UPDATE jobs.jobs SET status = 'running', attempts = attempts + 1, locked_by = \(worker),
                   locked_until = now() + interval '60 seconds'
            WHERE id = (
                SELECT id FROM jobs.jobs
                WHERE queue = \(name) AND kind = \(kind) AND status = 'queued' AND payload ->> \(field) = \(value)
                ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload, attempts
            """) { row in
            Job(id: try row.decode(Int64.self, at: 0), kind: try row.decode(String.self, at: 1),
                payload: try row.decode(PostgresJSON.self, at: 2), attempt: Int(try row.decode(Int32.self, at: 3)))
        }
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
            try await handler(job)
            try await database.execute("""
                UPDATE jobs.jobs SET status = 'succeeded', finished_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL
                WHERE id = \(job.id) AND locked_by = \(worker)
                """)
        } catch {
            logger.warning("job failed", metadata: ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "error": "\(error)"])
            try await finish(job, worker: worker, error: "\(error)", retry: true)
        }
    }

    /// Retry later with exponential backoff and jitter, or park in `dead`.
    private func finish(_ job: Job, worker: String, error: String, retry: Bool) async throws {
        let backoff = min(3600, pow(2, Double(job.attempt)) * Double.random(in: 0.5...1.5))
        try await database.execute("""
            UPDATE jobs.jobs SET
                status = CASE WHEN \(retry) AND attempts < max_attempts THEN 'queued' ELSE 'dead' END,
                run_at = now() + make_interval(secs => \(backoff)), last_error = \(String(error.prefix(2000))),
                locked_by = NULL, locked_until = NULL,
                finished_at = CASE WHEN \(retry) AND attempts < max_attempts THEN NULL ELSE now() END
            WHERE id = \(job.id) AND locked_by = \(worker)
            """)
    }

    /// Makes sure each recurring job has its next slot queued.
    func planRecurring() async throws {
        let now = Date().timeIntervalSince1970
        if !startedUp.exchange(true, ordering: .relaxed) {
            for (kind, _, atStart) in recurring.withLock({ $0 }) where atStart {
                try await enqueue(kind, uniqueKey: "start:\(kind):\(processKey)", maxAttempts: 3, on: database)
            }
        }
        for (kind, every, _) in recurring.withLock({ $0 }) {
            let slot = (now / every).rounded(.down) * every + every
            try await enqueue(kind, uniqueKey: "recurring:\(kind):\(Int(slot))", runAt: Date(timeIntervalSince1970: slot),
                              maxAttempts: 3, on: database)
        }
    }
}

extension JobQueue {
    /// Jobs per status in this queue (for `GET /metrics`).
    public func statusCounts() async throws -> [String: Int] {
        let rows = try await database.queryAll("SELECT status, count(*) FROM jobs.jobs WHERE queue = \(name) GROUP BY status") {
            (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1))
        }
        return Dictionary(uniqueKeysWithValues: rows)
    }
}
