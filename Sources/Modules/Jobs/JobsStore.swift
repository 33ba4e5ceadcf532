import Foundation
import Postgres

/// Owns every SQL statement against the `jobs` schema. Times here are the database's (real
/// time): leases and recurring slots are about processes, not any driver's clock.
struct JobsStore: Sendable {
    let database: any PostgresQueryable
    let queue: String

    func insert(kind: String, payload: PostgresJSON, uniqueKey: String?, runAt: Date?, maxAttempts: Int) async throws -> Bool {
        let inserted = try await database.execute("""
            INSERT INTO jobs.jobs (queue, kind, payload, unique_key, run_at, max_attempts)
            VALUES (\(queue), \(kind), \(payload), \(uniqueKey), coalesce(\(runAt), now()), \(Int32(maxAttempts)))
            ON CONFLICT (unique_key) DO NOTHING
            """)
        _ = try await database.query("SELECT pg_notify(\(JobQueue.channel), \(kind))")
        return inserted == 1
    }

    /// The next due job (or one whose worker's lease ran out) among `kinds`, claimed for `worker`.
    func claimNext(kinds: [String], worker: String, lease: TimeInterval) async throws -> Job? {
        try await database.queryOptional("""
            UPDATE jobs.jobs SET status = 'running', attempts = attempts + 1, locked_by = \(worker),
                   locked_until = now() + make_interval(secs => \(lease))
            WHERE id = (
                SELECT id FROM jobs.jobs
                WHERE queue = \(queue) AND kind = ANY(\(kinds))
                  AND ((status = 'queued' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
                ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload, attempts
            """, decode: Job.init(row:))
    }

    /// A queued job of `kind` whose payload has `field` = `value`, whenever it is due.
    func claimQueued(kind: String, field: String, value: String, worker: String) async throws -> Job? {
        try await database.queryOptional("""
            UPDATE jobs.jobs SET status = 'running', attempts = attempts + 1, locked_by = \(worker),
                   locked_until = now() + interval '60 seconds'
            WHERE id = (
                SELECT id FROM jobs.jobs
                WHERE queue = \(queue) AND kind = \(kind) AND status = 'queued' AND payload ->> \(field) = \(value)
                ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload, attempts
            """, decode: Job.init(row:))
    }

    func isRunning(kind: String, field: String, value: String) async throws -> Bool {
        try await database.queryValue("""
            SELECT EXISTS (SELECT 1 FROM jobs.jobs WHERE queue = \(queue) AND kind = \(kind) AND payload ->> \(field) = \(value)
                           AND status = 'running')
            """, as: Bool.self)
    }

    func succeeded(_ id: Int64, worker: String) async throws {
        try await database.execute("""
            UPDATE jobs.jobs SET status = 'succeeded', finished_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL
            WHERE id = \(id) AND locked_by = \(worker)
            """)
    }

    /// Retry after `backoff` seconds, or park in `dead` when attempts are used up.
    func failed(_ id: Int64, worker: String, error: String, retry: Bool, backoff: Double) async throws {
        try await database.execute("""
            UPDATE jobs.jobs SET
                status = CASE WHEN \(retry) AND attempts < max_attempts THEN 'queued' ELSE 'dead' END,
                run_at = now() + make_interval(secs => \(backoff)), last_error = \(String(error.prefix(2000))),
                locked_by = NULL, locked_until = NULL,
                finished_at = CASE WHEN \(retry) AND attempts < max_attempts THEN NULL ELSE now() END
            WHERE id = \(id) AND locked_by = \(worker)
            """)
    }

    /// The database's clock, in seconds since 1970.
    func now() async throws -> Double {
        try await database.queryValue("SELECT extract(epoch FROM now())::float8", as: Double.self)
    }

    func statusCounts() async throws -> [String: Int] {
        let rows = try await database.queryAll("SELECT status, count(*) FROM jobs.jobs WHERE queue = \(queue) GROUP BY status") {
            (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1))
        }
        return Dictionary(uniqueKeysWithValues: rows)
    }
}

extension Job {
    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, at: 0)
        kind = try row.decode(String.self, at: 1)
        payload = try row.decode(PostgresJSON.self, at: 2)
        attempt = Int(try row.decode(Int32.self, at: 3))
    }
}
