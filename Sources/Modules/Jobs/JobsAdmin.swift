public import AdminUI
public import AppKernel
import Audit
import Foundation
import HTTPServer

/// The job queue for engineers (permission `jobs`): jobs by state (queued, failed and waiting
/// for their retry, running under a lease, dead), one job with its payload, attempts, last
/// error and lease, and the recurring schedules with their next run. Retrying, cancelling and
/// running a job now are actions of their own (OPS.md; `JobsAdmin+Actions.swift`, permission
/// `operate`), offered on the job's page when they make sense for its state.
public struct JobsAdmin: AdminSection {
    let app: AppContext
    var store: JobsStore { JobsStore(database: app.database, queue: "") }
    /// Counts on these pages stop here (a count is a hint, not an inventory).
    static let countCap = 10_000

    public var navigation: [AdminNavItem] {
        [AdminNavItem("Jobs", "/admin/jobs", group: "Platform", permission: .jobs),
         AdminNavItem("Job schedules", "/admin/jobs/schedules", group: "Platform", permission: .jobs)]
    }

    public var pages: [AdminPage] {
        [
            .get("/admin/jobs", .jobs) { try await list($0) },
            .get("/admin/jobs/schedules", .jobs) { try await schedules($0) },
            .get("/admin/jobs/{id}", .jobs) { try await show($0) },
        ]
    }

    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        guard staff.may(AdminPermission.jobs.rawValue) else { return [] }
        return [AdminHomeItem("Dead jobs", try await store.deadCount(cap: Self.countCap), path: "/admin/jobs?state=dead", kind: .queue,
                              wantsAttention: true)]
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        let states = request.query.all("state").filter { JobsStore.states.contains($0) }
        let kind = request.query["kind"]
        let after = try Self.position(request.query["cursor"])
        let rows = try await store.list(states: states, kind: kind, after: after, limit: 50)
        let shown = Array(rows.prefix(50))
        let next = rows.count > 50 ? shown.last.map(Self.cursor) : nil
        let counts = try await store.stateCounts(cap: Self.countCap)
        let tally: HTML = "<div class=\"counts\">" + HTML(stringLiteral: ["queued", "failed", "running", "dead"].map { state -> String in
            let count = counts[state] ?? 0
            let attention = (state == "dead" || state == "failed") && count > 0 ? " attention" : ""
            let label = state == "failed" ? "failed, retrying" : state
            return HTML("<a class=\"count\(attention)\" href=\"/admin/jobs?state=\(state)\" data-field=\"\(state)_count\"><strong>\(count)</strong>\(label)</a>").text
        }.joined()) + "</div>"
        let filters = AdminHTML.filters(request, [
            .init("state", "State", .choices(JobsStore.states)),
            .init("kind", "Kind", .text(placeholder: "cover.apply_provider_events")),
        ])
        let note: HTML = states.isEmpty ? "<p class=\"muted\">Every job not yet finished, newest first. Tick “succeeded” or “cancelled” to see finished ones.</p>" : ""
        return .page(AdminView(title: "Jobs", body: AdminHTML.section("By state", tally) + filters + note + Self.table(shown)
                                   + AdminHTML.pager(request, next: next)))
    }

    static func table(_ jobs: [JobRecord]) -> HTML {
        AdminHTML.table(["Job", "Kind", "State", "Attempts", "Next try / due", "Last error", "Queue", "Created"], jobs.map { job in
            [AdminHTML.link("/admin/jobs/\(job.id)", "#\(job.id)"), "<code>\(job.kind)</code>", AdminHTML.status(job.state),
             "\(job.attempts) of \(job.maxAttempts)",
             job.status == "queued" ? AdminFormat.time(job.runAt) : "<span class=\"muted\">—</span>",
             job.lastError.map { "<span title=\"\($0)\">\(String($0.prefix(80)))</span>" as HTML } ?? "<span class=\"muted\">—</span>",
             "<code>\(job.queue)</code>", AdminFormat.time(job.createdAt)]
        }, empty: "No jobs in this state.", numeric: [3])
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let id = Int64(try request.parameter("id")), let job = try await store.find(id: id) else {
            throw AppError.notFound("no such job")
        }
        let lease: HTML = job.lockedBy.map { worker -> HTML in
            "held by <code>\(worker)</code> until \(AdminFormat.time(job.lockedUntil))"
                + ((job.lockedUntil ?? .distantFuture) < request.now ? " <span class=\"badge bad\">lease ran out: another worker may take it</span>" as HTML : "")
        } ?? "<span class=\"muted\">none</span>"
        let timing: AdminHTML.Field = switch job.state {
        case "failed": .init("Retry at", field: "run_at", AdminFormat.time(job.runAt))
        case "queued": .init("Due", field: "run_at", AdminFormat.time(job.runAt))
        default: .init("Was due", field: "run_at", AdminFormat.time(job.runAt))
        }
        let fields = AdminHTML.fields([
            .init("Kind", field: "kind", "<code>\(job.kind)</code>"),
            .init("State", field: "state", AdminHTML.status(job.state)),
            .init("Attempts", field: "attempts", text: "\(job.attempts) of \(job.maxAttempts)"),
            timing,
            .init("Lease", field: "locked_by", lease),
            .init("Finished", field: "finished_at", AdminFormat.time(job.finishedAt)),
            .init("Created", field: "created_at", AdminFormat.time(job.createdAt)),
            .init("Queue", field: "queue", "<code>\(job.queue)</code>"),
            .init("Unique key", field: "unique_key", job.uniqueKey.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">—</span>"),
        ])
        let error: HTML = job.lastError.map { AdminHTML.section("Last error", "<pre data-field=\"last_error\">\($0)</pre>") } ?? ""
        let payload = AdminHTML.section("Payload", "<pre data-field=\"payload\">\(Self.pretty(job.payload))</pre>")
        let history = try await Audit.historySection(of: [("job", String(job.id))], on: app.database)
        return .page(AdminView(title: "Job #\(job.id) · \(job.kind)", body: AdminHTML.section("Job", fields) + actionForms(request, job: job, now: request.now)
                                   + error + payload + history,
                               crumbs: [("Jobs", "/admin/jobs")]))
    }

    func schedules(_ request: AdminRequest) async throws -> AdminResponse {
        let schedules = try await store.schedules(limit: 200)
        let rows = schedules.map { schedule -> [HTML] in
            let every: HTML = schedule.previousSlot.map { previous -> HTML in
                "\(AdminFormat.duration(Int(schedule.nextRunAt.timeIntervalSince(previous).rounded())))"
            } ?? "<span class=\"muted\">not known yet</span>"
            let last: HTML = schedule.lastID.map { id -> HTML in
                AdminHTML.status(schedule.lastStatus ?? "") + " " + AdminFormat.time(schedule.lastFinishedAt)
                    + " " + AdminHTML.link("/admin/jobs/\(id)", "#\(id)")
            } ?? "<span class=\"muted\">not run yet</span>"
            return ["<code>\(schedule.kind)</code>", every, AdminFormat.time(schedule.nextRunAt) + " " + AdminHTML.link("/admin/jobs/\(schedule.nextID)", "#\(schedule.nextID)"),
                    last, "<code>\(schedule.queue)</code>"]
        }
        let note: HTML = """
            <p class="muted">Recurring jobs are declared by the running processes, which queue each kind's next slot; \
            a schedule shows here once its next slot is queued. “Every” is the gap between its last two slots.</p>
            """
        return .page(AdminView(title: "Job schedules", body: note + AdminHTML.table(["Kind", "Every", "Next run", "Last finished run", "Queue"], rows,
                                                                                       empty: "No recurring job has a slot queued: are the workers running?"),
                               crumbs: [("Jobs", "/admin/jobs")]))
    }

    /// A payload as indented JSON (as stored when it is not JSON).
    static func pretty(_ text: String) -> String {
        guard let value = try? JSON.decode(JSONValue.self, from: Array(text.utf8)) else { return text }
        return APIReference.openAPIText(value)
    }

    /// `<micros>_<id>`: the position after a job in the newest-first list.
    static func cursor(_ job: JobRecord) -> String {
        "\(Int64((job.createdAt.timeIntervalSince1970 * 1_000_000).rounded()))_\(job.id)"
    }

    static func position(_ text: String?) throws -> (Date, Int64)? {
        guard let text else { return nil }
        let parts = text.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = Int64(parts[1]) else {
            throw AppError.badRequest("that page position is not one this list gave")
        }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
    }
}
