import AppKernel
import HTTPServer
import Jobs
import Postgres

/// `GET /metrics` in the Prometheus text format: HTTP requests and latencies per route, the
/// database pool, and the job queue. Meant for the monitoring network: expose it only there.
struct MetricsEndpoint: Sendable {
    let app: AppContext
    let jobs: JobQueue?

    func render() async -> HTTPResponse {
        var text = app.requestMetrics.render()
        let pool = app.database.statistics
        text += "# HELP hourglass_db_pool_connections Database connections by state.\n# TYPE hourglass_db_pool_connections gauge\n"
        text += "hourglass_db_pool_connections{state=\"open\"} \(pool.open)\n"
        text += "hourglass_db_pool_connections{state=\"idle\"} \(pool.idle)\n"
        text += "hourglass_db_pool_waiters \(pool.waiting)\n"
        text += "# HELP hourglass_db_pool_nested_acquisitions_total Connections taken while holding one (should stay 0).\n"
        text += "# TYPE hourglass_db_pool_nested_acquisitions_total counter\nhourglass_db_pool_nested_acquisitions_total \(pool.nestedAcquisitions)\n"
        if let jobs {
            text += "# HELP hourglass_job_claims_total Claim queries run by this process's job workers.\n# TYPE hourglass_job_claims_total counter\n"
            text += "hourglass_job_claims_total \(jobs.claimAttempts)\n"
        }
        if let jobs, let counts = try? await jobs.statusCounts() {
            text += "# HELP hourglass_jobs Jobs by status.\n# TYPE hourglass_jobs gauge\n"
            for status in ["queued", "running", "succeeded", "dead", "cancelled"] {
                text += "hourglass_jobs{status=\"\(status)\"} \(counts[status] ?? 0)\n"
            }
        }
        return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(text.utf8))
    }
}
