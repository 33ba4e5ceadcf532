import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer
import Identity

/// The exceptions queue finance works: open by default, filtered by kind, status, age,
/// assignee and run (repeatable query parameters, so a URL can be shared), newest or oldest
/// first, keyset-paginated, and exported as CSV (audited).
extension ReconciliationAdmin {
    /// The most rows one export holds (the filters narrow it further).
    static let exportLimit = 10_000

    /// The queue's query string, checked: an unknown value is a 400 naming it.
    func queueFilter(_ request: AdminRequest) throws -> ReconciliationStore.ExceptionFilter {
        var filter = ReconciliationStore.ExceptionFilter()
        let kinds = request.query.all("kind")
        if let unknown = kinds.first(where: { ExceptionKind(rawValue: $0) == nil }) {
            throw AppError.badRequest("kind \(unknown) is not one of \(ExceptionKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        filter.kinds = kinds
        let statuses = request.query.all("status")
        if let unknown = statuses.first(where: { $0 != "open" && $0 != "resolved" }) {
            throw AppError.badRequest("status \(unknown) is not open or resolved")
        }
        filter.statuses = statuses.isEmpty ? ["open"] : statuses
        if let text = request.query["older_than_days"] {
            guard let days = Int(text), (0...3650).contains(days) else { throw AppError.badRequest("older_than_days must be a whole number of days, 0 to 3650") }
            filter.openedBefore = request.now.addingTimeInterval(-Double(days) * 86_400)
        }
        for value in request.query.all("assignee") {
            switch value {
            case "me": filter.assignees.append(Self.actor(request.staff))
            case "unassigned": filter.unassigned = true
            default:
                guard let id = UUID(uuidString: value) else { throw AppError.badRequest("assignee must be me, unassigned or a staff id") }
                filter.assignees.append("staff:\(id.uuidString.lowercased())")
            }
        }
        if let text = request.query["run"] {
            guard let id = UUID(uuidString: text) else { throw AppError.badRequest("run must be a run's id") }
            filter.runID = id
        }
        switch request.query["order"] {
        case nil, "newest": filter.oldestFirst = false
        case "oldest": filter.oldestFirst = true
        case let other?: throw AppError.badRequest("order \(other) is not newest or oldest")
        }
        return filter
    }

    /// The queue page (or its CSV with `format=csv`).
    func queue(_ request: AdminRequest) async throws -> AdminResponse {
        let filter = try queueFilter(request)
        let staff = try await staffNames()
        if request.query["format"] == "csv" { return try await export(request, filter, staff: staff) }
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let (rows, next) = page.page(try await store.exceptions(filter, after: page.after, limit: Self.pageSize)) {
            PageRequest.Cursor(createdAt: $0.exception.openedAt, id: $0.exception.id)
        }
        // Each side in one cell (its ids above its amount), so that age and assignee fit beside
        // them on a laptop's screen.
        let table = AdminHTML.table(
            ["Exception", "The processor’s line", "Processor", "Ours", "Difference", "Payout", "Age", "Assignee", "Status"],
            rows.map { row -> [HTML] in
                let exception = row.exception
                let currency = exception.ledgerCurrency
                let difference: HTML = exception.kind == .currencyMismatch ? Self.muted("other currency")
                    : "<strong>\(Self.money(exception.difference, currency))</strong>"
                return [AdminHTML.link(Self.exceptionPath(exception.id), exception.kind.title) + "<br>" + Self.muted(AdminFormat.shortID(exception.id)),
                        row.balanceTransactionID.map { Self.code($0) + (row.sourceID.map { "<br>" + Self.code($0) } ?? "") } ?? Self.muted("no line"),
                        "\(Self.money(exception.processorAmount, currency))",
                        "\(Self.money(exception.ledgerAmount, currency))<br>" + Self.muted(exception.entryID.map { "entry \($0)" } ?? "no entry"),
                        difference, Self.code(exception.payoutID ?? row.linePayoutID),
                        "<span title=\"opened \(AdminFormat.localText(exception.openedAt))\">\(Self.age(exception.openedAt, now: request.now))</span>",
                        Self.person(exception.assignee, staff, me: request.staff), AdminHTML.status(exception.isOpen ? "open" : "resolved")]
            }, empty: "No exceptions match.", numeric: [2, 3, 4])
        let body = queueFilters(request, filter: filter, staff: staff) + AdminHTML.section(filter.oldestFirst ? "Oldest first" : "Newest first",
                                                                                           table + AdminHTML.pager(request, next: next))
        return .page(AdminView(title: "Reconciliation exceptions", body: body, crumbs: [("Reconciliation runs", Self.runsPath)]))
    }

    /// The filter bar: kinds and statuses as checkboxes, the assignee and order as choices, age
    /// and run as inputs; a GET form, so the filters live in the URL.
    func queueFilters(_ request: AdminRequest, filter: ReconciliationStore.ExceptionFilter, staff: [String: StaffMember]) -> HTML {
        func checkbox(_ name: String, _ value: String, _ label: String, checked: Bool) -> HTML {
            "<label class=\"choice\"><input type=\"checkbox\" name=\"\(name)\" value=\"\(value)\"\(checked ? " checked" : "" as HTML)> \(label)</label>"
        }
        let kinds = ExceptionKind.allCases.map { checkbox("kind", $0.rawValue, $0.title, checked: filter.kinds.contains($0.rawValue)) }
        let statuses = ["open", "resolved"].map { checkbox("status", $0, $0, checked: filter.statuses.contains($0)) }
        let chosen = request.query["assignee"] ?? ""
        let finance = staff.values.filter { $0.role == .finance && $0.disabledAt == nil }.sorted { $0.name < $1.name }
        let options: [HTML] = [("", "anyone"), ("me", "me"), ("unassigned", "nobody")].map { value, label -> HTML in
            "<option value=\"\(value)\"\(chosen == value ? " selected" : "" as HTML)>\(label)</option>"
        } + finance.map { member -> HTML in
            let id = member.id.uuidString.lowercased()
            return "<option value=\"\(id)\"\(chosen == id ? " selected" : "" as HTML)>\(member.name)</option>"
        }
        let order = request.query["order"] ?? "newest"
        let orders: [HTML] = [("newest", "newest first"), ("oldest", "oldest first")].map { value, label -> HTML in
            "<option value=\"\(value)\"\(order == value ? " selected" : "" as HTML)>\(label)</option>"
        }
        let exportPairs = request.query.pairs.filter { $0.name != "cursor" && $0.name != "format" } + [("format", "csv")]
        let export: HTML = request.staff.may(AdminPermission.export.rawValue)
            ? " <a class=\"button secondary\" data-action=\"export\" href=\"\(Self.queuePath)?\(AdminHTML.queryString(exportPairs))\">Export CSV</a>" : ""
        return """
            <form class="filters" method="get" action="\(Self.queuePath)">\
            <fieldset><legend>Kind</legend>\(kinds)</fieldset><fieldset><legend>Status</legend>\(statuses)</fieldset>\
            <label>Assignee <select name="assignee">\(options)</select></label>\
            <label>Older than (days) <input type="number" name="older_than_days" min="0" max="3650" value="\(request.query["older_than_days"] ?? "")"></label>\
            <label>Run <input type="text" name="run" value="\(request.query["run"] ?? "")" placeholder="a run’s id"></label>\
            <label>Order <select name="order">\(orders)</select></label>\
            <button type="submit">Filter</button> <a href="\(Self.queuePath)">Clear</a>\(export)</form>
            """
    }

    /// The filtered queue as CSV, for those who may export; the export is on the audit trail.
    func export(_ request: AdminRequest, _ filter: ReconciliationStore.ExceptionFilter, staff: [String: StaffMember]) async throws -> AdminResponse {
        guard request.staff.may(AdminPermission.export.rawValue) else {
            throw AppError(status: .forbidden, slug: "forbidden", detail: "Exports need the export permission.")
        }
        let rows = Array(try await store.exceptions(filter, after: nil, limit: Self.exportLimit).prefix(Self.exportLimit))
        try await Audit.record("reconciliation.exceptions_exported", AuditObject("reconciliation_exception_list", "export"),
                               after: .object(["rows": .integer(Int64(rows.count)),
                                               "filters": .string(request.query.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))]),
                               on: app.database)
        return .csv(filename: "reconciliation-exceptions.csv", text: AdminCSV.render(
            header: ["id", "kind", "status", "opened_at", "run_id", "line_number", "balance_transaction_id", "source_id", "payout_id", "currency",
                     "processor_amount", "ledger_amount", "difference", "entry_id", "assignee", "assignee_name", "resolved_at", "resolved_by",
                     "resolution_note", "correcting_transaction_id"],
            rows: rows.map { row in
                let x = row.exception
                return [x.id.uuidString.lowercased(), x.kind.rawValue, x.isOpen ? "open" : "resolved", RFC3339.format(x.openedAt),
                        x.runID?.uuidString.lowercased() ?? "", x.lineNumber.map(String.init) ?? "", row.balanceTransactionID ?? "", row.sourceID ?? "",
                        x.payoutID ?? row.linePayoutID ?? "", x.ledgerCurrency, x.processorAmount.map(String.init) ?? "", x.ledgerAmount.map(String.init) ?? "",
                        String(x.difference), x.entryID.map(String.init) ?? "", x.assignee ?? "", x.assignee.flatMap { staff[$0]?.name } ?? "",
                        x.resolvedAt.map(RFC3339.format) ?? "", x.resolvedBy ?? "", x.resolutionNote ?? "", x.correctingTransactionID?.uuidString.lowercased() ?? ""]
            }))
    }
}
