public import AdminUI
import AppKernel
import Audit
import Cover
import Foundation
import HTTPServer
import Policies

/// Handling a claim (OPS.md: `claim_status`, `request_info` on a claim's page; the claims
/// role): moving it on, asking the driver for more, a reserve, internal notes. The claim page
/// shows the cover at the claim's instant beside them, worked out now by the same lookup as
/// `GET /v1/cover?at=`.
extension ClaimsAdmin {
    public var actions: [AdminAction] { [claimStatus, requestInfo, setReserve, addClaimNote] }

    static func claimPath(_ id: UUID) -> String { "/admin/claims/\(id.uuidString.lowercased())" }

    func found(_ request: AdminActionRequest) async throws -> Claim {
        let id = try request.objectID()
        guard let claim = try await store.find(id) else { throw AppError.notFound("no such claim") }
        return claim
    }

    var claimStatus: AdminAction {
        AdminAction("claim_status", title: "Change the claim's status", permission: .claims, plan: { request in
            let claim = try await found(request)
            guard let status = request.form["status"], Self.statuses.contains(status) else { throw AppError.invalid("choose a status") }
            try ClaimHandling.checkMove(claim, to: status)
            let message = request.form["message"]
            if let message, message.count > 2000 { throw AppError.invalid("the message to the driver is longer than 2,000 characters") }
            let told = message.map { " The driver is told: “\($0)”." } ?? " The driver is told the new status."
            return AdminActionPlan(
                objectType: "claim", objectID: claim.id.uuidString.lowercased(), driverID: try await store.driverID(claim.id),
                effect: "Move claim \(claim.reference) from \(claim.status.replacingOccurrences(of: "_", with: " ")) to \(status.replacingOccurrences(of: "_", with: " ")).\(told)",
                parameters: .object(["claim_id": .string(claim.id.uuidString.lowercased()), "status": .string(status),
                                     "message": message.map(JSONValue.string) ?? .null]),
                returnPath: Self.claimPath(claim.id))
        }, execute: { execution in
            let id = try execution.uuid("claim_id")
            let claim = try await ClaimHandling(app: app).move(id, to: try execution.string("status"), message: execution.optionalString("message"),
                                                               at: execution.now, on: execution.transaction)
            return AdminActionOutcome("Claim \(claim.reference) is now \(claim.status.replacingOccurrences(of: "_", with: " ")).", path: Self.claimPath(id))
        })
    }

    var requestInfo: AdminAction {
        AdminAction("request_info", title: "Ask the driver for more information", permission: .claims, plan: { request in
            let claim = try await found(request)
            guard claim.isOpen else { throw AppError(status: .conflict, slug: "claim-status", detail: "claim \(claim.reference) is \(claim.status) and closed") }
            guard let message = request.form["message"], message.count <= 2000 else { throw AppError.invalid("say what you need from the driver (2,000 characters at most)") }
            return AdminActionPlan(
                objectType: "claim", objectID: claim.id.uuidString.lowercased(), driverID: try await store.driverID(claim.id),
                effect: "Ask the driver of claim \(claim.reference): “\(message)” They see it in the app and answer by adding files.",
                parameters: .object(["claim_id": .string(claim.id.uuidString.lowercased()), "message": .string(message)]),
                returnPath: Self.claimPath(claim.id))
        }, execute: { execution in
            let id = try execution.uuid("claim_id")
            _ = try await ClaimHandling(app: app).requestInformation(id, message: try execution.string("message"), at: execution.now,
                                                                     on: execution.transaction)
            return AdminActionOutcome("Asked the driver; the claim shows the request until they add a file.", path: Self.claimPath(id))
        })
    }

    var setReserve: AdminAction {
        AdminAction("set_reserve", title: "Set the reserve", permission: .claims, plan: { request in
            let claim = try await found(request)
            guard let text = request.form["amount"], let amount = AdminActionRequest.pence(fromPounds: text) else {
                throw AppError.invalid("amount must be in pounds and pence, such as 1250.00 (0 for none)")
            }
            let before = try await store.reserve(claim.id)
            return AdminActionPlan(
                objectType: "claim", objectID: claim.id.uuidString.lowercased(), driverID: try await store.driverID(claim.id),
                effect: "Set the reserve of claim \(claim.reference) to \(AdminFormat.money(amount)).",
                facts: [("Reserve", "\(before.map { AdminFormat.money($0) } ?? "none") → \(AdminFormat.money(amount))")],
                parameters: .object(["claim_id": .string(claim.id.uuidString.lowercased()), "amount": .integer(amount)]),
                returnPath: Self.claimPath(claim.id))
        }, execute: { execution in
            let id = try execution.uuid("claim_id"), amount = try execution.integer("amount")
            _ = try await ClaimHandling(app: app).setReserve(id, amount: amount, at: execution.now, on: execution.transaction)
            return AdminActionOutcome("Reserve set to \(AdminFormat.money(amount)).", path: Self.claimPath(id))
        })
    }

    var addClaimNote: AdminAction {
        AdminAction("add_claim_note", title: "Add an internal note", permission: .claims, plan: { request in
            let claim = try await found(request)
            guard let text = request.form["text"], text.count <= 5000 else { throw AppError.invalid("write the note (5,000 characters at most)") }
            return AdminActionPlan(
                objectType: "claim", objectID: claim.id.uuidString.lowercased(), driverID: try await store.driverID(claim.id),
                effect: "Add an internal note to claim \(claim.reference) (the driver never sees it): “\(text)”",
                parameters: .object(["claim_id": .string(claim.id.uuidString.lowercased()), "text": .string(text)]),
                returnPath: Self.claimPath(claim.id))
        }, execute: { execution in
            let id = try execution.uuid("claim_id")
            try await ClaimHandling(app: app).addNote(id, text: try execution.string("text"), at: execution.now, on: execution.transaction)
            return AdminActionOutcome("Note added.", path: Self.claimPath(id))
        })
    }

    /// The handling part of the claim page: status history, requests, reserve, notes, the
    /// cover at the claim's instant, and the forms (for the claims role).
    func handling(_ claim: Claim, driverID: UUID, request: AdminRequest) async throws -> HTML {
        let id = claim.id.uuidString.lowercased()
        let history = AdminHTML.section("Status history (the driver sees this)", id: "status-history", AdminHTML.table(
            ["When", "Status", "Told the driver"], claim.statusHistory.map {
                [AdminFormat.time($0.at), AdminHTML.status($0.status), "\($0.message ?? "—")"]
            }, empty: "No history."))
        let requests = AdminHTML.section("Information asked for", id: "information-requests", AdminHTML.table(
            ["Asked", "What", "Answered"], claim.informationRequests.map {
                [AdminFormat.time($0.requestedAt), "\($0.message)", $0.answeredAt.map { AdminFormat.time($0) } ?? AdminHTML.status("waiting")]
            }, empty: "Nothing asked."))
        let reserve = try await store.reserve(claim.id)
        let notes = try await store.notes(claimID: claim.id)
        let notesSection = AdminHTML.section("Internal notes and reserve", id: "notes",
            AdminHTML.fields([.init("Reserve", field: "reserve_amount", text: reserve.map { AdminFormat.money($0) } ?? "none set")])
            + AdminHTML.table(["When", "Who", "Note"], notes.map { [AdminFormat.time($0.createdAt), "\($0.author)", "\($0.text)"] }, empty: "No notes."))
        let evidence = try await coverEvidence(claim, driverID: driverID)
        let moves = ClaimHandling.moves[claim.status] ?? []
        let statusOptions = HTML(stringLiteral: moves.map { "<option value=\"\($0)\">\($0.replacingOccurrences(of: "_", with: " "))</option>" }.joined())
        var forms: HTML = ""
        if !moves.isEmpty {
            forms += AdminHTML.startForm(request, claimStatus, object: id, fields: """
                <label>New status <select name="status" required>\(statusOptions)</select></label>\
                <label>Message to the driver <textarea name="message" rows="2" maxlength="2000"></textarea></label>
                """, submit: "Change status")
        }
        if claim.isOpen {
            forms += AdminHTML.startForm(request, requestInfo, object: id, fields: """
                <label>What you need <textarea name="message" rows="2" maxlength="2000" required></textarea></label>
                """, submit: "Ask the driver")
        }
        forms += AdminHTML.startForm(request, setReserve, object: id, fields: """
            <label>Reserve (£) <input type="text" name="amount" inputmode="decimal" required></label>
            """, submit: "Set reserve")
        forms += AdminHTML.startForm(request, addClaimNote, object: id, fields: """
            <label>Note <textarea name="text" rows="3" maxlength="5000" required></textarea></label>
            """, submit: "Add note")
        let actions = forms.text.isEmpty ? "" : AdminHTML.section("Handle this claim", id: "actions", "<div class=\"actions\">\(forms)</div>")
        return evidence + history + requests + notesSection + actions
    }

    /// Whether the policy covered the claim's instant, as things stand now, and by what.
    func coverEvidence(_ claim: Claim, driverID: UUID) async throws -> HTML {
        let policy = try await Policies(app: app).policy(claim.policyId, of: driverID)
        let coverage = try await cover.coverage(of: driverID, policy: policy, at: claim.occurredAt, now: app.clock.now())
        let lookup = "/admin/cover/lookup?driver=\(driverID.uuidString.lowercased())&at=\(AdminHTML.percentEncode(AdminFormat.localInputValue(claim.occurredAt)))"
        let verdict: HTML
        if let coverage {
            let what: HTML = coverage.sessionID.map { "session \(AdminHTML.idLink("/admin/cover/sessions/\($0.uuidString.lowercased())", $0))" } ?? "its paid hourly block"
            verdict = "\(AdminHTML.badge("covered", .good)) by \(what) of policy \(AdminHTML.idLink("/admin/policies/\(coverage.policyID.uuidString.lowercased())", coverage.policyID)), paid until \(AdminFormat.time(coverage.coveredUntil))."
        } else {
            verdict = "\(AdminHTML.badge("not covered", .bad)) as things stand now: the policy no longer shows cover at that instant."
        }
        return AdminHTML.section("Cover at the claim’s instant", id: "cover-evidence",
                                 "<p data-field=\"cover_at_claim\">\(AdminFormat.time(claim.occurredAt)): \(verdict)</p><p>\(AdminHTML.link(lookup, "The evidence chain (Was covered at…)"))</p>")
    }
}
