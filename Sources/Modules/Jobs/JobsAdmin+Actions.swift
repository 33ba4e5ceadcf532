public import AdminUI
import AppKernel
import Audit
import Foundation
import Postgres

/// Engineers' actions on a job (OPS.md: `retry_job`, `cancel_job`, `run_job`; permission
/// `operate`), each offered on the job's page only when it makes sense for the job's state,
/// checked again on the locked row when confirmed (the job may have moved on meanwhile), and
/// audited once with the job's state before and after.
extension JobsAdmin {
    public var actions: [AdminAction] { [retryJob, cancelJob, runJob] }

    enum Control: String, CaseIterable {
        case retry = "retry_job", cancel = "cancel_job", run = "run_job"
    }

    /// Why `control` makes no sense for `job` at `now`, or nil when it does.
    static func refusal(_ control: Control, _ job: JobRecord, now: Date) -> String? {
        let lease = job.lockedUntil.map { " (its worker holds it until \(AdminFormat.localText($0)))" } ?? ""
        switch (control, job.state) {
        case (.retry, "failed"), (.retry, "dead"), (.cancel, "queued"), (.cancel, "failed"): return nil
        case (.run, "queued"): return job.runAt > now ? nil : "job #\(job.id) is due already: a worker takes it as soon as one is free"
        case (_, "running"):
            return control == .cancel ? "a running job cannot be cancelled: job #\(job.id) is running now\(lease)"
                                      : "job #\(job.id) is running now\(lease)"
        case (.retry, "succeeded"): return "a succeeded job cannot be retried: job #\(job.id) ran to the end"
        case (.retry, "queued"): return "job #\(job.id) has not failed: it is waiting to run (run it now instead)"
        case (.run, "failed"): return "job #\(job.id) failed: retry it instead"
        case (.run, "dead"): return "job #\(job.id) is dead: retry it instead"
        case (.cancel, "dead"): return "a dead job does not run again: there is nothing to cancel"
        case (_, "succeeded"): return "job #\(job.id) has run already"
        case (_, "cancelled"): return "job #\(job.id) was cancelled: it does not run"
        default: return "job #\(job.id) is \(job.state)"
        }
    }

    static func snapshot(_ job: JobRecord) -> JSONValue {
        .object(["status": .string(job.status), "state": .string(job.state), "run_at": .string(RFC3339.format(job.runAt)),
                 "attempts": .integer(Int64(job.attempts)), "max_attempts": .integer(Int64(job.maxAttempts)),
                 "finished_at": job.finishedAt.map { .string(RFC3339.format($0)) } ?? .null])
    }

    static func jobID(_ request: AdminActionRequest) throws -> Int64 {
        guard let text = request.form["object"], let id = Int64(text), id > 0 else { throw AppError.invalid("object must be a job number") }
        return id
    }

    func control(_ control: Control, title: String, effect: @escaping @Sendable (JobRecord) -> String,
                 change: @escaping @Sendable (JobsStore, Int64) async throws -> JobRecord, done: @escaping @Sendable (JobRecord) -> String) -> AdminAction {
        AdminAction(control.rawValue, title: title, permission: .operate, plan: { request in
            let id = try Self.jobID(request)
            guard let job = try await store.find(id: id) else { throw AppError.notFound("no such job") }
            if let refusal = Self.refusal(control, job, now: request.now) { throw AppError.conflict(refusal) }
            return AdminActionPlan(
                objectType: "job", objectID: String(id), effect: effect(job),
                facts: [("Kind", job.kind), ("State", job.state), ("Attempts", "\(job.attempts) of \(job.maxAttempts)"),
                        (job.state == "queued" ? "Due" : "Was due", AdminFormat.localText(job.runAt))]
                    + (job.lastError.map { [("Last error", String($0.prefix(300)))] } ?? []),
                parameters: .object(["job_id": .integer(id)]), returnPath: "/admin/jobs/\(id)")
        }, execute: { execution in
            let id = try execution.integer("job_id")
            let store = JobsStore(database: execution.transaction, queue: "")
            guard let before = try await store.lock(id: id) else { throw AppError.notFound("no such job") }
            if let refusal = Self.refusal(control, before, now: execution.now) { throw AppError.conflict(refusal) }
            let after = try await change(store, id)
            try await Audit.record("jobs.\(control == .run ? "run_now" : control == .retry ? "retried" : "cancelled")", AuditObject("job", String(id)),
                                   before: Self.snapshot(before), after: Self.snapshot(after), on: execution.transaction)
            return AdminActionOutcome(done(after), path: "/admin/jobs/\(id)")
        })
    }

    var retryJob: AdminAction {
        control(.retry, title: "Retry a job", effect: { job in
            job.state == "dead"
                ? "Run job #\(job.id) (\(job.kind)) once more now: attempt \(job.attempts + 1); if it fails again it is dead again."
                : "Run job #\(job.id) (\(job.kind)) now instead of waiting for its retry at \(AdminFormat.localText(job.runAt))."
        }, change: { store, id in try await store.retry(id: id) },
        done: { job in "Job #\(job.id) is queued to run now (attempt \(job.attempts + 1) of \(job.maxAttempts))." })
    }

    var cancelJob: AdminAction {
        control(.cancel, title: "Cancel a job", effect: { job in
            "Cancel job #\(job.id) (\(job.kind)): it will not run\(job.state == "failed" ? " again" : ""), and stays listed as cancelled."
        }, change: { store, id in try await store.cancel(id: id) },
        done: { job in "Job #\(job.id) is cancelled: it will not run." })
    }

    var runJob: AdminAction {
        control(.run, title: "Run a job now", effect: { job in
            "Run job #\(job.id) (\(job.kind)) now instead of at \(AdminFormat.localText(job.runAt))."
        }, change: { store, id in try await store.runNow(id: id) },
        done: { job in "Job #\(job.id) is due now: a worker takes it as soon as one is free." })
    }

    /// The job page's forms: only the actions that make sense for the job now.
    func actionForms(_ request: AdminRequest, job: JobRecord, now: Date) -> HTML {
        let forms = [(retryJob, Control.retry, "Retry"), (runJob, Control.run, "Run now"), (cancelJob, Control.cancel, "Cancel")]
            .filter { Self.refusal($0.1, job, now: now) == nil }
            .map { AdminHTML.startForm(request, $0.0, object: String(job.id), submit: $0.2, danger: $0.1 == .cancel) }
        let html = HTML(stringLiteral: forms.map(\.text).joined())
        return html.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", html)
    }
}
