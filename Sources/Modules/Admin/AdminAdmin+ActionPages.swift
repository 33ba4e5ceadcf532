import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer

/// The pages of the action flow: one action request (its result, or the approval to decide)
/// and the approvals inbox (pending, mine, decided).
extension ActionFlow {
    func requestPage(_ request: AdminRequest) async throws -> AdminResponse {
        try await requestPage(try request.id(), request: request, shownOnce: nil)
    }

    /// The request's page; `shownOnce` is a secret its executor must pass on, in this answer only.
    func requestPage(_ id: UUID, request: AdminRequest, shownOnce: String?) async throws -> AdminResponse {
        guard let stored = try await AdminStore(database: app.database).request(id) else { throw AppError.notFound("no such action") }
        let staff = request.staff
        let permitted = action(named: stored.action).map { staff.may($0.approval.rawValue) || staff.may($0.permission.rawValue) } ?? false
        guard stored.makerID == staff.id || stored.checkerID == staff.id || permitted || staff.may(AdminPermission.audit.rawValue) else {
            throw AppError(status: .forbidden, slug: "forbidden", detail: "Only the people who may take this action can see it.")
        }
        let expired = stored.state == .pendingApproval && stored.expiresAt <= request.now
        let state = expired ? "expired" : stored.state.rawValue
        var fields: [AdminHTML.Field] = [
            AdminHTML.Field("Status", field: "state", AdminHTML.status(state)),
            AdminHTML.Field("Action", text: stored.title),
            AdminHTML.Field("Asked by", text: "\(stored.makerName) (\(stored.makerRole.replacingOccurrences(of: "_", with: " ")))"),
            AdminHTML.Field("Asked", AdminFormat.time(stored.createdAt)),
            AdminHTML.Field("Reason", text: stored.reason.label),
            AdminHTML.Field("Note", text: stored.note ?? "—"),
        ]
        fields += try await driverField(stored.driverID) + stored.facts.map { AdminHTML.Field($0.0, text: $0.1) }
        if let fourEyes = stored.fourEyes, stored.filedAt != nil {
            fields.append(AdminHTML.Field("Four-eyes because", text: fourEyes))
            fields.append(AdminHTML.Field(stored.decidedAt == nil ? "Expires" : "Expired or expires", AdminFormat.time(stored.expiresAt)))
        }
        if let checker = stored.checkerName, let role = stored.checkerRole {
            fields.append(AdminHTML.Field(stored.state == .rejected ? "Rejected by" : "Approved by", text: "\(checker) (\(role.replacingOccurrences(of: "_", with: " ")))"))
            fields.append(AdminHTML.Field("Decided", AdminFormat.time(stored.decidedAt)))
            fields.append(AdminHTML.Field("Their note", text: stored.checkerNote ?? "—"))
        }
        var body: HTML = "<section class=\"card\" id=\"request\"><p class=\"effect\" data-field=\"effect\"><strong>\(stored.effect)</strong></p>\(AdminHTML.fields(fields))"
        if let message = stored.resultMessage {
            body += AdminHTML.notice(message, .good)
        }
        if let shownOnce {
            body += "<p class=\"notice warn\" role=\"status\">Pass this on now: it is shown only this once and is not kept. "
                + "<code data-field=\"shown_once\">\(shownOnce)</code></p>"
        }
        body += "<p><a href=\"\(stored.resultPath ?? stored.returnPath)\">Go to the \(stored.objectType.replacingOccurrences(of: "_", with: " "))</a></p></section>"
        if stored.state == .pendingApproval, !expired {
            let mayApprove = action(named: stored.action).map { staff.may($0.approval.rawValue) } ?? false
            body += decisionForms(stored, request: request, permitted: mayApprove)
        }
        let history = try await Audit.historySection(of: [(stored.objectType, stored.objectID)], on: app.database)
        let title = stored.filedAt == nil ? "\(stored.title): \(state)" : "Approval: \(stored.title)"
        return .page(AdminView(title: title, body: body + history, crumbs: stored.filedAt == nil ? [] : [("Approvals", "/admin/approvals")]))
    }

    /// Which driver it is about, linked to their driver 360 (effects say "this driver").
    func driverField(_ id: UUID?) async throws -> [AdminHTML.Field] {
        guard let id else { return [] }
        let email = try await AdminStore(database: app.database).driverEmail(id) ?? id.uuidString.lowercased()
        return [AdminHTML.Field("Driver", field: "driver", AdminHTML.link("/admin/drivers/\(id.uuidString.lowercased())", email))]
    }

    func decisionForms(_ stored: AdminStore.ActionRequest, request: AdminRequest, permitted: Bool) -> HTML {
        guard permitted else { return AdminHTML.notice("Someone whose role may approve this action must decide it.", .info) }
        guard stored.makerID != request.staff.id else {
            return AdminHTML.notice("You asked for this, so another person must approve it.", .info)
        }
        let id = stored.id.uuidString.lowercased()
        let csrf = request.staff.csrfToken
        return """
            <section class="card" id="decide"><h2>Decide</h2>\
            <form method="post" action="/admin/approvals/\(id)/approve" data-action="approve" class="action stack">\
            <input type="hidden" name="csrf" value="\(csrf)"><label>Note <textarea name="note" rows="2" maxlength="1000"></textarea></label>\
            <button type="submit">Approve and do it</button></form>\
            <form method="post" action="/admin/approvals/\(id)/reject" data-action="reject" class="action stack">\
            <input type="hidden" name="csrf" value="\(csrf)"><label>Why not <textarea name="note" rows="2" maxlength="1000" required></textarea></label>\
            <button type="submit" class="danger">Reject</button></form></section>
            """
    }

    func inbox(_ request: AdminRequest) async throws -> AdminResponse {
        let view = request.query["view"].flatMap(AdminStore.Inbox.init(rawValue:)) ?? .pending
        let staff = request.staff
        // Only what this person may see: requests they made, or of actions their role may take or approve.
        let rows = try await AdminStore(database: app.database).approvals(view, staff: staff.id, limit: 200).filter { row in
            row.makerID == staff.id || row.checkerID == staff.id
                || (action(named: row.action).map { staff.may($0.approval.rawValue) || staff.may($0.permission.rawValue) } ?? false)
        }
        let tabs = AdminStore.Inbox.allCases.map { tab -> HTML in
            tab == view ? "<strong>\(tab.rawValue)</strong>" : "<a href=\"/admin/approvals?view=\(tab.rawValue)\">\(tab.rawValue)</a>"
        }
        let table = AdminHTML.table(["Action", "Effect", "Asked by", "Filed", "Status", "Expires"], rows.map { row -> [HTML] in
            let expired = row.state == .pendingApproval && row.expiresAt <= request.now
            return [AdminHTML.link("/admin/approvals/\(row.id.uuidString.lowercased())", row.title), "\(row.effect)",
                    "\(row.makerName)", AdminFormat.time(row.filedAt), AdminHTML.status(expired ? "expired" : row.state.rawValue),
                    row.state == .pendingApproval ? AdminFormat.time(row.expiresAt) : "—"]
        }, empty: view == .pending ? "Nothing is waiting for approval." : "None.")
        let body: HTML = "<p class=\"tabs\">\(HTML(stringLiteral: tabs.map(\.text).joined(separator: " · ")))</p>" + AdminHTML.section("Approvals", table)
        return .page(AdminView(title: "Approvals", body: body))
    }
}
