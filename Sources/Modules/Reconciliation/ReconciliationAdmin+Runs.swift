import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer
import Ledger
import Payments

/// The runs: every imported report newest first (with the upload form for finance), and one
/// run with its counts, its payouts and its lines.
extension ReconciliationAdmin {
    /// A line's outcomes, as the lines table records them.
    static let outcomes = ["matched", "fee"] + ExceptionKind.allCases.filter { $0 != .payoutMismatch && $0 != .missingAtProcessor }.map(\.rawValue)
    /// The outcomes that are also exception kinds (each such line has an exception).
    static let lineExceptionOutcomes = Set(outcomes.dropFirst(2))

    /// Runs newest first, with the upload form for finance.
    func runs(_ request: AdminRequest) async throws -> AdminResponse {
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let (runs, next) = page.page(try await store.runs(after: page.after, limit: Self.pageSize)) {
            PageRequest.Cursor(createdAt: $0.startedAt, id: $0.id)
        }
        let staff = try await staffNames()
        let rows = runs.map { run -> [HTML] in
            [AdminHTML.idLink(Self.runPath(run.id), run.id), "\(run.fileName)", "\(Self.sourceName(run.source))", Self.person(run.actor, staff),
             AdminFormat.time(run.startedAt, seconds: false), Self.window(run), "\(run.lineCount)", "\(run.matchedCount)", "\(run.feeLineCount)",
             run.exceptionCount > 0 ? AdminHTML.link(Self.queuePath + "?run=\(run.id.uuidString.lowercased())&status=open&status=resolved", "\(run.exceptionCount)") : "0",
             "\(run.payoutCount)"]
        }
        let table = AdminHTML.table(["Run", "File", "Source", "By", "When", "Window (report’s lines)", "Lines", "Matched", "Fee lines", "Exceptions", "Payouts"],
                                    rows, empty: "No settlement report has been imported yet.", numeric: [6, 7, 8, 9, 10])
        return .page(AdminView(title: "Reconciliation runs", body: uploadForm(request) + AdminHTML.section("Runs, newest first", table + AdminHTML.pager(request, next: next))))
    }

    /// The upload form, for those who may import (finance).
    func uploadForm(_ request: AdminRequest) -> HTML {
        guard request.staff.may(AdminPermission.reconcile.rawValue) else { return "" }
        let limit = min(Self.uploadLimit, app.config.httpMaxBodyBytes)
        return AdminHTML.section("Import a settlement report", """
            <form method="post" action="\(Self.uploadPath)" enctype="multipart/form-data" data-action="upload_report" class="action stack">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)">\
            <label>Report file <input type="file" name="report" accept=".csv,.gz,text/csv,application/gzip" required></label>\
            <p class="muted">The processor’s itemised payout reconciliation report, as a .csv or a .csv.gz of at most \(Self.size(limit)). \
            The same report imported again changes nothing; a file with a bad line is refused whole. Larger files: <code>hourglass recon import FILE</code>.</p>\
            <button type="submit">Import</button></form>
            """)
    }

    /// Imports the uploaded report and shows its summary (or why it was refused, or the run it repeats).
    func upload(_ request: AdminRequest) async throws -> AdminResponse {
        guard let file = request.files.first(where: { $0.name == "report" }), let name = file.filename, !name.isEmpty else {
            throw AppError.invalid("choose the settlement report to import (a .csv or .csv.gz file)")
        }
        let lower = name.lowercased()
        guard lower.hasSuffix(".csv") || lower.hasSuffix(".gz") else {
            throw AppError.invalid("\(name) is not a .csv or .csv.gz file: import the processor’s itemised payout reconciliation report")
        }
        guard !file.body.isEmpty else { throw AppError.invalid("\(name) is empty") }
        let summary: ImportSummary
        do {
            summary = try await reconciliation.importReport(bytes: file.body, fileName: name, source: .upload, actor: Self.actor(request.staff))
        } catch let refused as ReconciliationError {
            let body: HTML = AdminHTML.notice("\(name) was refused: \(refused.detail). Nothing was imported; fix the file and try again.", .bad)
                + "<p><a href=\"\(Self.runsPath)\">Back to the runs</a></p>"
            return .page(AdminView(title: "Report refused", body: body, crumbs: [("Reconciliation runs", Self.runsPath)], status: .unprocessableContent))
        }
        let run = AdminHTML.link(Self.runPath(summary.runID), AdminFormat.shortID(summary.runID))
        guard !summary.isRepeat else {
            let body: HTML = "<p class=\"notice info\" role=\"status\" data-field=\"import_result\">\(name) was imported already as run \(run): nothing changed.</p>"
            return .page(AdminView(title: "Already imported", body: body, crumbs: [("Reconciliation runs", Self.runsPath)]))
        }
        let kinds = ExceptionKind.allCases.filter { (summary.exceptions[$0] ?? 0) > 0 }.map { kind -> [HTML] in
            [AdminHTML.link(Self.queuePath + "?run=\(summary.runID.uuidString.lowercased())&kind=\(kind.rawValue)", kind.title),
             "<span data-field=\"exceptions_\(kind.rawValue)\">\(summary.exceptions[kind] ?? 0)</span>"]
        }
        let body: HTML = "<p class=\"notice good\" role=\"status\" data-field=\"import_result\">Imported \(name) as run \(run).</p>"
            + AdminHTML.section("Summary", AdminHTML.fields([
                .init("Lines", field: "line_count", text: String(summary.lineCount)),
                .init("Matched", field: "matched_count", text: String(summary.matchedCount)),
                .init("Fee lines", field: "fee_line_count", text: String(summary.feeLineCount)),
                .init("Payouts booked", field: "payout_count", text: String(summary.payoutCount)),
                .init("Exceptions", field: "exception_count", text: String(summary.exceptionCount)),
                .init("Window", Self.window(from: summary.createdFrom, to: summary.createdTo)),
            ]) + AdminHTML.table(["Exceptions by kind", "Opened"], kinds, empty: "No exceptions: every line matched.", numeric: [1])
                + "<p><a class=\"button\" href=\"\(Self.runPath(summary.runID))\">Open the run</a></p>")
        return .page(AdminView(title: "Report imported", body: body, crumbs: [("Reconciliation runs", Self.runsPath)]))
    }

    /// One run: its counts, payouts, lines and history.
    func run(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.id()
        guard let run = try await store.run(id: id) else { throw AppError.notFound("no such reconciliation run") }
        let staff = try await staffNames()
        let fields = AdminHTML.fields([
            .init("File", field: "file_name", text: run.fileName),
            .init("Source", field: "source", text: Self.sourceName(run.source) + (run.payoutID.map { " (payout \($0))" } ?? "")),
            .init("By", field: "actor", Self.person(run.actor, staff)),
            .init("Imported", field: "started_at", AdminFormat.time(run.startedAt) + " in \(AdminFormat.duration(Int(run.finishedAt.timeIntervalSince(run.startedAt).rounded())))"),
            .init("Window", Self.window(run)),
            .init("Lines", field: "line_count", text: String(run.lineCount)),
        ])
        let kinds = try await store.kindCounts(runID: id)
        let byKind = Dictionary(kinds.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        let runID = id.uuidString.lowercased()
        let outcomeRows = Self.outcomes.map { outcome -> [HTML] in
            let count = outcome == "matched" ? run.matchedCount : outcome == "fee" ? run.feeLineCount : byKind[outcome]?.total ?? 0
            let label = ExceptionKind(rawValue: outcome).map { "\($0.title) (\(outcome.replacingOccurrences(of: "_", with: " ")))" }
                ?? (outcome == "matched" ? "Matched to our ledger" : "The processor’s fees")
            return [AdminHTML.link(Self.runPath(id) + "?outcome=\(outcome)#lines", label), "<span data-field=\"outcome_\(outcome)\">\(count)</span>"]
        }
        let kindRows = kinds.map { row -> [HTML] in
            let title = ExceptionKind(rawValue: row.kind)?.title ?? row.kind
            return [AdminHTML.link(Self.queuePath + "?run=\(runID)&kind=\(row.kind)&status=open&status=resolved", title),
                    "<span data-field=\"open_\(row.kind)\">\(row.open)</span>", "\(row.total)"]
        }
        let counts = "<div class=\"grid\">" + AdminHTML.section("Lines by outcome", AdminHTML.table(["Outcome", "Lines"], outcomeRows, numeric: [1]))
            + AdminHTML.section("Exceptions by kind", AdminHTML.table(["Kind", "Open", "All"], kindRows, empty: "No exceptions in this run.", numeric: [1, 2])) + "</div>"
        let history = try await Audit.historySection(of: [("reconciliation_run", runID)], on: app.database)
        return .page(AdminView(title: "Run · \(run.fileName)",
                               body: AdminHTML.section("Run", fields) + counts + (try await payoutsSection(run)) + (try await linesSection(request, run)) + history,
                               crumbs: [("Reconciliation runs", Self.runsPath)]))
    }

    /// What the run booked per payout and currency: the bank's net, the processor's fees, the
    /// clearing legs relieved and what waits in suspense, its settlement posting, beside what
    /// the processor reported the payout as.
    func payoutsSection(_ run: RunRow) async throws -> HTML {
        let payouts = try await store.payouts(runID: run.id, limit: 500)
        let reported = try await payments.reportedPayouts(Array(Set(payouts.map(\.payoutID))), on: app.database)
        let rows = payouts.map { payout -> [HTML] in
            let processor: HTML = reported[payout.payoutID].map { reported in
                guard reported.currency.uppercased() == payout.currency else { return Self.muted("in \(reported.currency.uppercased())") }
                let amount: HTML = "\(Self.money(reported.amount, payout.currency))"
                return reported.amount == payout.net ? amount : amount + " " + AdminHTML.badge("≠ net", .bad)
            } ?? Self.muted("not reported")
            return [Self.code(payout.payoutID), "\(payout.currency)", "\(payout.lines)", "\(Self.money(payout.net + payout.fee, payout.currency))",
                    "\(Self.money(payout.fee, payout.currency))", "\(Self.money(payout.net, payout.currency))", "\(Self.money(payout.clearing, payout.currency))",
                    payout.suspense == 0 ? "\(Self.money(0, payout.currency))" : "<strong>\(Self.money(payout.suspense, payout.currency))</strong>",
                    processor, payout.postingID.map(Self.postingLink) ?? Self.muted("none: nothing moved")]
        }
        return AdminHTML.section("Payouts", id: "payouts", AdminHTML.table(
            ["Payout", "Currency", "Lines", "Gross", "Fees", "Net (bank)", "Clearing relieved", "Suspense (debits − credits)", "Processor says",
             "Settlement posting"], rows, empty: "No payouts in this run.", numeric: [2, 3, 4, 5, 6, 7])
            + "<p class=\"muted\">Lines repeated or settled before book nothing and are not counted here.</p>")
    }

    /// The run's lines in file order, filtered by outcome.
    func linesSection(_ request: AdminRequest, _ run: RunRow) async throws -> HTML {
        let outcomes = request.query.all("outcome").filter(Self.outcomes.contains)
        let after: Int = try request.query["cursor"].map { text in
            guard let value = Int(text), value >= 0 else { throw AppError.badRequest("that page position is not one this list gave") }
            return value
        } ?? 0
        let exceptionOnly = !outcomes.isEmpty && outcomes.allSatisfy(Self.lineExceptionOutcomes.contains)
        let fetched = try await store.lines(runID: run.id, outcomes: outcomes, exceptionOutcomesOnly: exceptionOnly, afterLine: after, limit: Self.pageSize)
        let lines = Array(fetched.prefix(Self.pageSize))
        let next = fetched.count > Self.pageSize ? lines.last.map { String($0.lineNumber) } : nil
        let exceptions = try await store.exceptionIDs(runID: run.id, lineNumbers: lines.map(\.lineNumber))
        let rows = lines.map { line -> [HTML] in
            let outcome: HTML = exceptions[line.lineNumber].map { AdminHTML.link(Self.exceptionPath($0), line.outcome.replacingOccurrences(of: "_", with: " ")) }
                ?? (line.outcome == "matched" ? AdminHTML.badge("matched", .good) : AdminHTML.status(line.outcome))
            // The ids stacked in one cell (the payout too, when the run has more than one).
            let ids: HTML = Self.code(line.balanceTransactionID) + (line.sourceID.map { "<br>" + Self.code($0) } ?? "")
                + (run.payoutCount > 1 ? "<br>" + Self.muted(line.payoutID) : "")
            return ["\(line.lineNumber)", ids, AdminFormat.time(line.createdAt, seconds: false),
                    "\(line.category)", "\(Self.money(line.grossAmount, line.currency))", "\(Self.money(line.feeAmount, line.currency))",
                    "\(Self.money(line.netAmount, line.currency))", outcome + (line.matchedBy.map { " " + Self.muted("by \($0.replacingOccurrences(of: "_", with: " "))") } ?? ""),
                    line.entryID.map { "\($0)" as HTML } ?? Self.muted("—")]
        }
        let filters = AdminHTML.filters(request, [.init("outcome", "Outcome", .choices(Self.outcomes))])
        let table = AdminHTML.table(["Line", run.payoutCount > 1 ? "Balance transaction, source, payout" : "Balance transaction and source", "Created",
                                     "Category", "Gross", "Fee", "Net", "Outcome", "Our clearing leg"],
                                    rows, empty: "No lines match.", numeric: [0, 4, 5, 6])
        return AdminHTML.section("Lines", id: "lines", filters + table + AdminHTML.pager(request, next: next))
    }

    /// Where a run came from, in words.
    static func sourceName(_ source: String) -> String {
        switch source {
        case "cli": "command line"
        case "upload": "uploaded here"
        case "payout_webhook": "fetched for a payout"
        default: source
        }
    }

    /// The report's time window.
    static func window(_ run: RunRow) -> HTML { window(from: run.createdFrom, to: run.createdTo) }

    /// From → to, or "no lines".
    static func window(from: Date?, to: Date?) -> HTML {
        guard let from, let to else { return muted("no lines") }
        return AdminFormat.time(from, seconds: false) + " → " + AdminFormat.time(to, seconds: false)
    }

    /// `64 MB`, `10 MB`, `512 KB`.
    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes >> 10) KB"
    }
}
