public import AdminUI
public import AppKernel
import Audit
import Foundation
import HTTPServer
import Logging
import Postgres

/// Runs every staff action the same way (OPS.md "Actions"): plan and confirmation page, one
/// confirmation per token (a replayed POST shows the first result), four-eyes approvals that
/// another person decides within 72 hours, and the change done in one transaction with the
/// audit event that records it, its reason and, when approved, the approval. What must not
/// happen inside that transaction (a call to the card processor) the action hands back as
/// `afterCommit`, run once the transaction has committed.
struct ActionFlow: Sendable {
    let app: AppContext
    let actions: [AdminAction]

    /// How long a confirmation page may be confirmed, and an approval approved.
    static let confirmationLifetime: TimeInterval = 3600
    static let approvalLifetime: TimeInterval = 72 * 3600

    var pages: [AdminPage] {
        actions.flatMap { action in
            [
                AdminPage.post(action.path, action.permission) { try await plan(action, $0) },
                AdminPage.post(action.path + "/confirm", action.permission, needsSudo: action.needsSudo) { try await confirm(action, $0) },
            ]
        } + [
            .get("/admin/action-requests/{id}", .signedIn) { try await requestPage($0) },
            .get("/admin/approvals", .signedIn) { try await inbox($0) },
            .get("/admin/approvals/{id}", .signedIn) { try await requestPage($0) },
            .post("/admin/approvals/{id}/approve", .signedIn) { try await approve($0) },
            .post("/admin/approvals/{id}/reject", .signedIn) { try await reject($0) },
        ]
    }

    func action(named name: String) -> AdminAction? { actions.first { $0.name == name } }

    // MARK: - Plan and confirm

    func plan(_ action: AdminAction, _ request: AdminRequest) async throws -> AdminResponse {
        guard let code = request.form["reason"].flatMap(AdminReasonCode.init(rawValue:)) else {
            throw AppError.invalid("choose a reason: " + AdminReasonCode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let note = request.form["note"]
        if code == .other, note == nil { throw AppError.invalid("say what the reason is in the note (required for Other)") }
        if let note, note.count > 1000 { throw AppError.invalid("the note is longer than 1,000 characters") }
        var plan = try await action.plan(AdminActionRequest(page: request, reason: code, note: note))
        if plan.fourEyes == nil, let limit = plan.limit {
            let earlier = try await AdminStore(database: app.database).recentAmount(
                maker: request.staff.id, group: limit.group, driverID: plan.driverID, since: request.now.addingTimeInterval(-AdminFourEyesLimit.window))
            plan.fourEyes = limit.reason(earlier: earlier)
        }
        let token = UUID()
        try await AdminStore(database: app.database).insert(id: token, action: action, maker: request.staff, plan: plan, reason: code, note: note,
                                                            now: request.now, expiresAt: request.now.addingTimeInterval(Self.confirmationLifetime))
        let fourEyes: HTML = plan.fourEyes.map {
            AdminHTML.notice("This needs another person’s approval (\($0)). Confirming files it in Approvals; nothing changes until someone else approves it.", .warn)
        } ?? ""
        let sudo: HTML = action.needsSudo && !AdminMount.inSudo(request.staff, now: request.now)
            ? AdminHTML.notice("This action needs your authenticator code from the last 10 minutes: confirm it at /admin/sudo first.", .warn) : ""
        let body: HTML = """
            <section class="card" id="confirmation"><p class="effect" data-field="effect"><strong>\(plan.effect)</strong></p>\
            \(AdminHTML.fields(try await driverField(plan.driverID) + plan.facts.map { AdminHTML.Field($0.0, text: $0.1) }
                + [AdminHTML.Field("Reason", text: code.label), AdminHTML.Field("Note", text: note ?? "—")]))\
            \(fourEyes)\(sudo)\
            <form method="post" action="\(action.path)/confirm" data-action="confirm" class="action">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)"><input type="hidden" name="token" value="\(token.uuidString.lowercased())">\
            <button type="submit">\(plan.fourEyes == nil ? "Confirm" : "File for approval")</button> <a href="\(plan.returnPath)">Cancel</a></form></section>
            """
        return .page(AdminView(title: "Confirm: \(action.title)", body: body, crumbs: [("Back", plan.returnPath)]))
    }

    func confirm(_ action: AdminAction, _ request: AdminRequest) async throws -> AdminResponse {
        guard let token = request.form["token"].flatMap(UUID.init(uuidString:)) else { throw AppError.invalid("this confirmation has no token") }
        let now = request.now
        let result: (UUID, Bool, String?, AfterCommit?) = try await app.database.withTransaction { transaction in
            let store = AdminStore(database: transaction)
            guard let stored = try await store.request(token, lock: true), stored.action == action.name else {
                throw AppError.notFound("no such confirmation")
            }
            guard stored.makerID == request.staff.id else {
                throw AppError(status: .forbidden, slug: "not-yours", detail: "Only the person who asked for this can confirm it.")
            }
            // Confirmed already (a second click, a replayed POST): show what happened the first time.
            guard stored.state == .planned else { return (token, stored.state == .pendingApproval, nil, nil) }
            guard stored.expiresAt > now else {
                throw AppError(status: .gone, slug: "expired", detail: "This confirmation page expired; go back to the page and start again.")
            }
            var fourEyes = stored.fourEyes
            // What else the maker did meanwhile counts too (re-checked under a lock: two at once cannot both pass).
            if fourEyes == nil, let group = stored.limitGroup, let amount = stored.amount, let over = stored.limitOver {
                try await store.lockLimit(maker: stored.makerID, group: group, driverID: stored.driverID)
                let earlier = try await store.recentAmount(maker: stored.makerID, group: group, driverID: stored.driverID,
                                                           since: now.addingTimeInterval(-AdminFourEyesLimit.window), except: token)
                if let reason = AdminFourEyesLimit(group: group, amount: amount, over: over, what: group.replacingOccurrences(of: "_", with: " ") + "s").reason(earlier: earlier) {
                    fourEyes = reason
                    try await store.requireApproval(token, reason: reason)
                }
            }
            if fourEyes != nil {
                try await store.file(token, now: now, expiresAt: now.addingTimeInterval(Self.approvalLifetime))
                try await Audit.record("admin.approval_requested", object(stored), after: .object([
                    "action": .string(action.name), "effect": .string(stored.effect), "four_eyes": .string(fourEyes ?? "")]),
                    reason: (stored.reason.rawValue, stored.note), approvalID: token, on: transaction)
                return (token, true, nil, nil)
            }
            let outcome = try await run(action, stored, checker: nil, transaction: transaction, now: now)
            try await store.markDone(token, outcome: outcome)
            return (token, false, outcome.shownOnce, outcome.afterCommit)
        }
        await afterCommit(result.3, action: action.name, request: token)
        if let secret = result.2 { return try await requestPage(result.0, request: request, shownOnce: secret) }
        return .redirect(result.1 ? "/admin/approvals/\(result.0.uuidString.lowercased())" : "/admin/action-requests/\(result.0.uuidString.lowercased())")
    }

    typealias AfterCommit = @Sendable () async throws -> Void

    /// The action's work after its transaction committed (`AdminActionOutcome.afterCommit`):
    /// run here, outside any transaction, once; a failure is logged and left to whatever
    /// retries that work (the action itself is done and recorded).
    func afterCommit(_ work: AfterCommit?, action: String, request id: UUID) async {
        guard let work else { return }
        do {
            try await work()
        } catch {
            app.logger.error("an action's work after its commit failed; it is retried later", metadata: [
                "admin.action": "\(action)", "admin.action_request": "\(id.uuidString.lowercased())", "error": "\(error)"])
        }
    }

    /// The action's change, with the reason (and approval) on every audit event it writes (and
    /// on those of its work after the commit).
    func run(_ action: AdminAction, _ stored: AdminStore.ActionRequest, checker: StaffCaller?, transaction: PostgresConnection,
             now: Date) async throws -> AdminActionOutcome {
        var context = AuditContext.current
        context.reasonCode = stored.reason.rawValue
        context.reasonText = stored.note
        context.approvalID = checker == nil ? nil : stored.id
        // Every event the action causes names it, so the trail ties each change to its request.
        context.requestID = "admin_action:\(stored.id.uuidString.lowercased())"
        let execution = AdminActionExecution(key: stored.id, parameters: stored.parameters, transaction: transaction, now: now, app: app,
                                             maker: stored.makerID, checker: checker?.id, reason: stored.reason, note: stored.note)
        let outcome = try await AuditContext.acting(as: context) { try await action.execute(execution) }
        guard let work = outcome.afterCommit else { return outcome }
        let acting = context
        return AdminActionOutcome(outcome.message, path: outcome.path, shownOnce: outcome.shownOnce,
                                  afterCommit: { try await AuditContext.acting(as: acting) { try await work() } })
    }

    func object(_ stored: AdminStore.ActionRequest) -> AuditObject {
        AuditObject(stored.objectType, stored.objectID, owner: stored.driverID.map { ("driver", $0.uuidString.lowercased()) })
    }

    // MARK: - Approvals

    func approve(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.id()
        let now = request.now
        let staff = request.staff
        let (secret, work, name): (String?, AfterCommit?, String) = try await app.database.withTransaction { transaction in
            let store = AdminStore(database: transaction)
            let stored = try await decidable(id, by: staff, store: store, now: now)
            guard let action = action(named: stored.action) else { throw AppError.notFound("this kind of action no longer exists") }
            if action.needsSudo, !AdminMount.inSudo(staff, now: now) {
                throw AppError(status: .forbidden, slug: "sudo",
                               detail: "Approving this needs your authenticator code from the last 10 minutes: confirm it at /admin/sudo, then try again.")
            }
            let outcome = try await run(action, stored, checker: staff, transaction: transaction, now: now)
            try await store.decide(id, state: .approved, checker: staff, note: request.form["note"], now: now, outcome: outcome)
            try await Audit.record("admin.approval_approved", object(stored), after: .object([
                "action": .string(stored.action), "maker": .string("staff:\(stored.makerID.uuidString.lowercased())")]),
                reason: ("approved", request.form["note"]), approvalID: id, on: transaction)
            return (outcome.shownOnce, outcome.afterCommit, stored.action)
        }
        await afterCommit(work, action: name, request: id)
        if let secret { return try await requestPage(id, request: request, shownOnce: secret) }
        return .redirect("/admin/approvals/\(id.uuidString.lowercased())")
    }

    func reject(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.id()
        guard let note = request.form["note"] else { throw AppError.invalid("say why you are rejecting it") }
        let now = request.now
        let staff = request.staff
        try await app.database.withTransaction { transaction in
            let store = AdminStore(database: transaction)
            let stored = try await decidable(id, by: staff, store: store, now: now)
            try await store.decide(id, state: .rejected, checker: staff, note: note, now: now, outcome: nil)
            try await Audit.record("admin.approval_rejected", object(stored), after: .object(["action": .string(stored.action)]),
                                   reason: ("rejected", note), approvalID: id, on: transaction)
        }
        return .redirect("/admin/approvals/\(id.uuidString.lowercased())")
    }

    /// The approval, locked, if this member of staff may decide it now: it is pending and not
    /// expired, they hold the action's permission, and they are not the person who asked.
    func decidable(_ id: UUID, by staff: StaffCaller, store: AdminStore, now: Date) async throws -> AdminStore.ActionRequest {
        guard let stored = try await store.request(id, lock: true), stored.filedAt != nil else { throw AppError.notFound("no such approval") }
        guard let action = action(named: stored.action), staff.may(action.approval.rawValue) else {
            throw AppError(status: .forbidden, slug: "forbidden", detail: "Deciding this needs the \(action(named: stored.action)?.approval.rawValue ?? "right") permission, which the \(staff.role) role does not have.")
        }
        guard stored.makerID != staff.id else {
            throw AppError(status: .forbidden, slug: "four-eyes", detail: "You asked for this, so another person must approve it.")
        }
        guard !(stored.objectType == "staff" && stored.objectID == staff.id.uuidString.lowercased()) else {
            throw AppError(status: .forbidden, slug: "four-eyes", detail: "This is about your own account, so another person must approve it.")
        }
        // The maker must still be someone who may ask for it: not locked, in the role they asked as.
        guard !stored.makerLocked, stored.makerRoleNow == stored.makerRole else {
            throw AppError(status: .conflict, slug: "maker-changed",
                           detail: "\(stored.makerName) is \(stored.makerLocked ? "locked" : "no longer \(stored.makerRole.replacingOccurrences(of: "_", with: " "))") since asking; reject this and ask again if it is still needed.")
        }
        guard stored.state == .pendingApproval else {
            throw AppError(status: .conflict, slug: "decided", detail: "This approval was \(stored.state.rawValue.replacingOccurrences(of: "_", with: " ")) already.")
        }
        guard stored.expiresAt > now else {
            throw AppError(status: .gone, slug: "expired", detail: "This approval expired at \(RFC3339.format(stored.expiresAt)) (72 hours after it was filed); ask again if it is still needed.")
        }
        return stored
    }
}
