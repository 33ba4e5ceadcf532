import AppKernel
import Foundation
import Postgres

/// What engineers do to one job (OPS.md actions retry_job, cancel_job, run_job), each an
/// update of its row in the staff action's transaction; workers are woken when it commits.
/// Times are the database's, as everywhere in the queue.
extension JobsStore {
    /// The job, locked until the transaction ends (a worker's claim skips it meanwhile).
    func lock(id: Int64) async throws -> JobRecord? {
        try await database.queryOptional("SELECT \(JobRecord.columns) FROM jobs.jobs WHERE id = \(id) FOR UPDATE", decode: JobRecord.init(row:))
    }

    /// Due now, once more: a dead job gets one attempt more than it has had (if it fails again,
    /// it is dead again); a failed one waiting for its retry stops waiting.
    func retry(id: Int64) async throws -> JobRecord {
        let job = try await database.queryOne("""
            UPDATE jobs.jobs SET status = 'queued', run_at = now(), finished_at = NULL, locked_by = NULL, locked_until = NULL,
                   max_attempts = greatest(max_attempts, attempts + 1)
            WHERE id = \(id) RETURNING \(JobRecord.columns)
            """, decode: JobRecord.init(row:))
        _ = try await database.query("SELECT pg_notify(\(JobQueue.channel), \(job.kind))")
        return job
    }

    /// Never claimed again: `cancelled`, finished now.
    func cancel(id: Int64) async throws -> JobRecord {
        try await database.queryOne("""
            UPDATE jobs.jobs SET status = 'cancelled', finished_at = now(), locked_by = NULL, locked_until = NULL
            WHERE id = \(id) RETURNING \(JobRecord.columns)
            """, decode: JobRecord.init(row:))
    }

    /// Due now instead of at its time.
    func runNow(id: Int64) async throws -> JobRecord {
        let job = try await database.queryOne("""
            UPDATE jobs.jobs SET run_at = now() WHERE id = \(id) RETURNING \(JobRecord.columns)
            """, decode: JobRecord.init(row:))
        _ = try await database.query("SELECT pg_notify(\(JobQueue.channel), \(job.kind))")
        return job
    }
}
