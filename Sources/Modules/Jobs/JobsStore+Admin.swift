import AppKernel
import Foundation
import Postgres

/// One row of the queue as the admin shows it.
struct JobRecord: Sendable {
    let id: Int64
    let queue: String
    let kind: String
    let payload: String
    let uniqueKey: String?
    let runAt: Date
    let status: String
    let attempts: Int
    let maxAttempts: Int
    let lockedBy: String?
    let lockedUntil: Date?
    let lastError: String?
    let createdAt: Date
    let finishedAt: Date?

    static let columns: SQL = """
        id, queue, kind, payload::text, unique_key, run_at, status, attempts, max_attempts, locked_by, locked_until, last_error, \
        created_at, finished_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, at: 0)
        queue = try row.decode(String.self, at: 1)
        kind = try row.decode(String.self, at: 2)
        payload = try row.decode(String.self, at: 3)
        uniqueKey = try row.decode(String?.self, at: 4)
        runAt = try row.decode(Date.self, at: 5)
        status = try row.decode(String.self, at: 6)
        attempts = Int(try row.decode(Int32.self, at: 7))
        maxAttempts = Int(try row.decode(Int32.self, at: 8))
        lockedBy = try row.decode(String?.self, at: 9)
        lockedUntil = try row.decode(Date?.self, at: 10)
        lastError = try row.decode(String?.self, at: 11)
        createdAt = try row.decode(Date.self, at: 12)
        finishedAt = try row.decode(Date?.self, at: 13)
    }

    /// A queued job that has failed before is waiting for its retry: "failed" to a person.
    var state: String { status == "queued" && lastError != nil ? "failed" : status }

    var summary: JobSummary {
        JobSummary(id: id, kind: kind, state: state, attempts: attempts, maxAttempts: maxAttempts, runAt: runAt,
                   finishedAt: finishedAt, lastError: lastError)
    }
}

/// A recurring job as the queue shows it: its next slot, the slot before (so the interval),
/// and how its latest finished run ended.
struct JobSchedule: Sendable {
    let queue: String
    let kind: String
    let nextID: Int64
    let nextRunAt: Date
    let previousSlot: Date?
    let lastID: Int64?
    let lastStatus: String?
    let lastFinishedAt: Date?
}

/// The jobs schema's queries for the admin (times are the database's, real time).
extension JobsStore {
    /// The states the admin lists by; `failed` is a queued job with an error (retrying).
    static let states = ["queued", "failed", "running", "dead", "succeeded", "cancelled"]

    /// The condition of each state (fixed text, so a one-state list uses its partial index).
    static let stateConditions: [String: SQL] = [
        "queued": "(status = 'queued' AND last_error IS NULL)",
        "failed": "(status = 'queued' AND last_error IS NOT NULL)",
        "running": "status = 'running'",
        "dead": "status = 'dead'",
        "succeeded": "status = 'succeeded'",
        "cancelled": "status = 'cancelled'",
    ]

    /// Newest first after `(created_at, id)`, `limit + 1` rows; no states: everything not
    /// finished (neither succeeded nor cancelled).
    func list(states: [String], kind: String?, after: (Date, Int64)?, limit: Int) async throws -> [JobRecord] {
        let chosen = states.compactMap { Self.stateConditions[$0] }
        let condition: SQL = chosen.isEmpty ? "status NOT IN ('succeeded', 'cancelled')" : "(" + SQL.joined(chosen, separator: " OR ") + ")"
        let keyset: SQL = after.map { "AND (created_at, id) < (\($0.0), \($0.1))" } ?? ""
        return try await database.queryAll("""
            SELECT \(JobRecord.columns) FROM jobs.jobs
            WHERE \(condition) AND (\(kind)::text IS NULL OR kind = \(kind)) \(keyset)
            ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)
            """, decode: JobRecord.init(row:))
    }

    func find(id: Int64) async throws -> JobRecord? {
        try await database.queryOptional("SELECT \(JobRecord.columns) FROM jobs.jobs WHERE id = \(id)", decode: JobRecord.init(row:))
    }

    func jobs(uniqueKeys: [String]) async throws -> [JobRecord] {
        try await database.queryAll("""
            SELECT \(JobRecord.columns) FROM jobs.jobs WHERE unique_key = ANY(\(uniqueKeys)) LIMIT 200
            """, decode: JobRecord.init(row:))
    }

    /// How many jobs are in each state a person acts on, each count stopping at `cap`.
    func stateCounts(cap: Int) async throws -> [String: Int] {
        try await database.queryOne("""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM jobs.jobs WHERE status = 'queued' AND last_error IS NULL LIMIT \(cap)) q),
                   (SELECT count(*) FROM (SELECT 1 FROM jobs.jobs WHERE status = 'queued' AND last_error IS NOT NULL LIMIT \(cap)) f),
                   (SELECT count(*) FROM (SELECT 1 FROM jobs.jobs WHERE status = 'running' LIMIT \(cap)) r),
                   (SELECT count(*) FROM (SELECT 1 FROM jobs.jobs WHERE status = 'dead' LIMIT \(cap)) d)
            """) { row in
            ["queued": try row.decode(Int.self, at: 0), "failed": try row.decode(Int.self, at: 1),
             "running": try row.decode(Int.self, at: 2), "dead": try row.decode(Int.self, at: 3)]
        }
    }

    func deadCount(cap: Int) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*) FROM (SELECT 1 FROM jobs.jobs WHERE status = 'dead' LIMIT \(cap)) d
            """, as: Int.self)
    }

    /// Every recurring job with a slot queued (`JobQueue.schedule` queues the next slot of each
    /// kind as `recurring:<kind>:<slot>`), per queue.
    func schedules(limit: Int) async throws -> [JobSchedule] {
        try await database.queryAll("""
            SELECT n.queue, n.kind, n.id, n.run_at,
                   (SELECT p.run_at FROM jobs.jobs p
                    WHERE p.queue = n.queue AND p.kind = n.kind AND p.unique_key LIKE 'recurring:%' AND p.run_at < n.run_at
                    ORDER BY p.run_at DESC LIMIT 1),
                   last.id, last.status, last.finished_at
            FROM (SELECT DISTINCT ON (queue, kind) queue, kind, id, run_at FROM jobs.jobs
                  WHERE status = 'queued' AND unique_key LIKE 'recurring:%'
                  ORDER BY queue, kind, run_at LIMIT \(limit)) n
            LEFT JOIN LATERAL (SELECT l.id, l.status, l.finished_at FROM jobs.jobs l
                               WHERE l.queue = n.queue AND l.kind = n.kind AND l.unique_key LIKE 'recurring:%'
                                 AND l.status IN ('succeeded', 'dead')
                               ORDER BY l.run_at DESC LIMIT 1) last ON true
            ORDER BY n.queue, n.kind
            """) { row in
            JobSchedule(queue: try row.decode(String.self, at: 0), kind: try row.decode(String.self, at: 1),
                        nextID: try row.decode(Int64.self, at: 2), nextRunAt: try row.decode(Date.self, at: 3),
                        previousSlot: try row.decode(Date?.self, at: 4), lastID: try row.decode(Int64?.self, at: 5),
                        lastStatus: try row.decode(String?.self, at: 6), lastFinishedAt: try row.decode(Date?.self, at: 7))
        }
    }
}
