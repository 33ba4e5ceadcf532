import AppKernel
import Foundation
import Jobs
import Logging
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite(.tags(.database), .serialized) struct JobQueueTests {
    func makeQueue() throws -> JobQueue {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return JobQueue(database: TestDatabase.pool, logger: logger)
    }

    /// Jobs of other tests may be in the queue: each test uses its own kind and drains only it.
    func kind() -> String { "test_\(UUID().uuidString.prefix(8).lowercased())" }

    @Test func enqueuedJobsRunOnceAndUniqueKeysDeduplicate() async throws {
        let queue = try makeQueue()
        let kind = kind()
        let runs = Mutex<[String]>([])
        queue.register(kind) { job in runs.withLock { $0.append(job.payload.text) } }
        #expect(try await queue.enqueue(kind, payload: PostgresJSON(text: #"{"n": 1}"#), uniqueKey: "\(kind):1", on: TestDatabase.pool))
        #expect(try await !queue.enqueue(kind, payload: PostgresJSON(text: #"{"n": 1}"#), uniqueKey: "\(kind):1", on: TestDatabase.pool))
        // Enqueued inside a rolled-back transaction: never runs.
        struct Abort: Error {}
        _ = try? await TestDatabase.pool.withTransaction { transaction in
            try await queue.enqueue(kind, payload: PostgresJSON(text: #"{"n": 2}"#), on: transaction)
            throw Abort()
        }
        while try await queue.runNext(worker: "w1") {}
        #expect(runs.withLock { $0.count } == 1)
    }

    @Test func concurrentWorkersNeverRunOneJobTwice() async throws {
        let queue = try makeQueue()
        let kind = kind()
        let counts = Mutex<[Int64: Int]>([:])
        queue.register(kind) { job in
            counts.withLock { $0[job.id, default: 0] += 1 }
            try await Task.sleep(for: .milliseconds(2))
        }
        for index in 0..<60 { try await queue.enqueue(kind, payload: PostgresJSON(text: "{\"i\": \(index)}"), on: TestDatabase.pool) }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask { while (try? await queue.runNext(worker: "worker-\(worker)")) == true {} }
            }
        }
        let ran = counts.withLock { $0 }
        #expect(ran.count >= 60)
        #expect(ran.values.allSatisfy { $0 == 1 })
    }

    @Test func failuresRetryWithBackoffThenGoDead() async throws {
        let queue = try makeQueue()
        let kind = kind()
        struct Flaky: Error {}
        queue.register(kind) { _ in throw Flaky() }
        try await queue.enqueue(kind, uniqueKey: "\(kind):x", maxAttempts: 2, on: TestDatabase.pool)
        #expect(try await queue.runNext(worker: "w"))
        let afterFirst = try await TestDatabase.pool.queryOne(
            "SELECT status, attempts, run_at > now() FROM jobs.jobs WHERE unique_key = \("\(kind):x")") {
            (try $0.decode(String.self, at: 0), try $0.decode(Int32.self, at: 1), try $0.decode(Bool.self, at: 2))
        }
        #expect(afterFirst == ("queued", 1, true))
        try await TestDatabase.pool.execute("UPDATE jobs.jobs SET run_at = now() WHERE unique_key = \("\(kind):x")")
        #expect(try await queue.runNext(worker: "w"))
        let status = try await TestDatabase.pool.queryValue("SELECT status FROM jobs.jobs WHERE unique_key = \("\(kind):x")", as: String.self)
        #expect(status == "dead")
    }

    /// A worker that dies mid-job leaves its lease to run out; another worker then runs the job,
    /// and an idempotent handler applies its effect once.
    @Test func aJobWhoseWorkerDiedIsRetriedAndAppliedOnce() async throws {
        let queue = try makeQueue()
        let kind = kind()
        // The tests run as the runtime role, which cannot create tables: the owner makes it.
        try await TestDatabase.ownerPool.execute("CREATE TABLE IF NOT EXISTS public.test_job_effects (job_id bigint PRIMARY KEY, applied_at timestamptz DEFAULT now())")
        try await TestDatabase.grantRows(on: "public.test_job_effects")
        queue.register(kind) { job in
            // Idempotent: the effect is keyed by the job.
            try await TestDatabase.pool.execute("INSERT INTO public.test_job_effects (job_id) VALUES (\(job.id)) ON CONFLICT DO NOTHING")
        }
        try await queue.enqueue(kind, uniqueKey: "\(kind):crash", on: TestDatabase.pool)
        // "Worker A" claims with a 1-second lease, applies the effect, then dies before finishing.
        let id = try await TestDatabase.pool.queryValue("SELECT id FROM jobs.jobs WHERE unique_key = \("\(kind):crash")", as: Int64.self)
        _ = try await TestDatabase.pool.execute("""
            UPDATE jobs.jobs SET status = 'running', attempts = 1, locked_by = 'dead-worker', locked_until = now() + interval '1 second'
            WHERE id = \(id)
            """)
        try await TestDatabase.pool.execute("INSERT INTO public.test_job_effects (job_id) VALUES (\(id)) ON CONFLICT DO NOTHING")
        #expect(try await queue.runNext(worker: "w2") == false)  // still leased by the dead worker
        try await Task.sleep(for: .milliseconds(1200))
        while try await queue.runNext(worker: "w2") {}
        let status = try await TestDatabase.pool.queryValue("SELECT status FROM jobs.jobs WHERE id = \(id)", as: String.self)
        #expect(status == "succeeded")
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*) FROM public.test_job_effects WHERE job_id = \(id)", as: Int.self) == 1)
    }
}

/// Regression: idle workers wait. A shared AsyncStream was finished by the first poll timeout
/// (cancelling its iteration), after which every wait returned at once and two idle workers ran
/// about 1,400 claim queries a second.
@Suite(.tags(.database)) struct IdleWorkerTests {
    @Test func idleWorkersClaimOncePerPollNotInALoop() async throws {
        let queue = JobQueue(database: TestDatabase.pool, logger: .init(label: "test"), name: "idle-\(UUID().uuidString)")
        queue.register("idle.test") { _ in }
        let workers = JobWorkers(queue: queue, count: 2, pollInterval: .milliseconds(200))
        workers.start()
        try await Task.sleep(for: .seconds(2))
        let claims = queue.claimAttempts
        workers.stop()
        // Two workers, a claim per 200 ms each for 2 s: about 20 (a wake-up from a NOTIFY of
        // other tests queueing jobs meanwhile adds some: every NOTIFY wakes every listener). When they
        // spun it was about 2,800.
        #expect(claims >= 1 && claims <= 400, "\(claims) claims in 2 s")
        // And a job queued meanwhile still runs at once (the wake-up works).
        let ran = Mutex(false)
        queue.register("idle.wake") { _ in ran.withLock { $0 = true } }
        let again = JobWorkers(queue: queue, count: 1, pollInterval: .seconds(30))
        again.start()
        try await Task.sleep(for: .milliseconds(300))
        _ = try await queue.enqueue("idle.wake", on: TestDatabase.pool)
        let start = ContinuousClock.now
        while !ran.withLock({ $0 }), ContinuousClock.now - start < .seconds(5) { try await Task.sleep(for: .milliseconds(20)) }
        again.stop()
        #expect(ran.withLock { $0 })
        #expect(ContinuousClock.now - start < .seconds(3), "woken by the NOTIFY, not the 30 s poll")
    }
}
