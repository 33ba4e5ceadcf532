public import AdminUI
import AppKernel
import Foundation
import HTTPServer
import Identity
import Ledger
import Policies
import Postgres
import Rating

/// Staff actions on cover (OPS.md "Actions"): `force_close_session` on a session's page,
/// `start_cover` and `end_cover` on the driver's page. Each runs through `CoverService`, the
/// same session rules and postings as the driver's own manual cover and a cancellation's
/// closing, at the driver's "now". The confirmation page states what confirming does by doing
/// it in a transaction that is rolled back; confirming does it again at that moment.
extension CoverAdmin {
    public var actions: [AdminAction] { [forceCloseSession, startCover, endCover] }

    // MARK: - Force-close

    var forceCloseSession: AdminAction {
        AdminAction("force_close_session", title: "Force-close the session", permission: .cover, needsSudo: true, plan: { request in
            let id = try request.objectID()
            guard let session = try await store.anySession(id) else { throw AppError.notFound("no such session") }
            let (change, before, after) = try await dryRun(session.driverID) { transaction in
                try await service.forceClose(id, on: transaction)
            }
            let closed = change.after
            let more = closed.chargedAmount - change.before.chargedAmount
            return AdminActionPlan(
                objectType: "session", objectID: id.uuidString.lowercased(), driverID: session.driverID,
                effect: "Close session \(AdminFormat.shortID(id)) (started \(AdminFormat.localText(session.startedAt))) at the moment you confirm, charged as closed: "
                    + "\(closed.billedMinutes) billed minutes (the 60-minute minimum included), \(AdminFormat.money(closed.chargedAmount)) in all"
                    + (more > 0 ? ", \(AdminFormat.money(more)) more than charged so far (if confirmed now)." : ", already charged.")
                    + " Cover stops then: a shift still running no longer covers, and only a shift starting later opens new cover.",
                facts: [("Balance", "\(AdminFormat.money(before)) → \(AdminFormat.money(after)) (if confirmed now)"),
                        ("Charged so far", AdminFormat.money(change.before.chargedAmount)),
                        ("Covered until", "\(AdminFormat.localText(change.before.coveredUntil)) → \(AdminFormat.localText(closed.coveredUntil))")],
                parameters: .object(["session_id": .string(id.uuidString.lowercased())]),
                returnPath: Self.sessionPath(id))
        }, execute: { execution in
            let id = try execution.uuid("session_id")
            let change = try await service.forceClose(id, on: execution.transaction)
            let closed = change.after
            return AdminActionOutcome("Closed session \(AdminFormat.shortID(id)) at \(AdminFormat.localText(change.at)) (UK time): \(closed.billedMinutes) billed minutes, "
                                      + "\(AdminFormat.money(closed.chargedAmount)) charged in all.", path: Self.sessionPath(id))
        })
    }

    // MARK: - Cover by hand

    var startCover: AdminAction {
        AdminAction("start_cover", title: "Start cover by hand", permission: .cover, plan: { request in
            let driverID = try request.objectID()
            guard try await Identity(app: app).account(driverID) != nil else { throw AppError.notFound("no such driver") }
            let ((session, at), before, after) = try await dryRun(driverID) { transaction in
                try await service.startByStaff(driverID: driverID, on: transaction)
            }
            return AdminActionPlan(
                objectType: "driver", objectID: driverID.uuidString.lowercased(), driverID: driverID,
                effect: "Start cover by hand for this driver at the moment you confirm (now \(AdminFormat.localText(at)), their time), as their own manual start does: "
                    + "a session opens and its first hour, \(AdminFormat.money(session.hourlyRateAmount)), is taken from the balance; cover runs until it is ended "
                    + "by hand (then at least the paid hour), and stops at the 14-hour cut.",
                facts: [("Balance", "\(AdminFormat.money(before)) → \(AdminFormat.money(after))"),
                        ("Rate", "\(AdminFormat.money(session.hourlyRateAmount)) an hour")],
                parameters: .object(["driver_id": .string(driverID.uuidString.lowercased())]),
                returnPath: Self.driverPath(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let (session, at) = try await service.startByStaff(driverID: driverID, on: execution.transaction)
            return AdminActionOutcome("Started cover by hand at \(AdminFormat.localText(at)) (UK time): session \(AdminFormat.shortID(session.id)), "
                                      + "\(AdminFormat.money(session.chargedAmount)) charged for its first hour.", path: Self.driverPath(driverID))
        })
    }

    var endCover: AdminAction {
        AdminAction("end_cover", title: "End cover by hand", permission: .cover, plan: { request in
            let driverID = try request.objectID()
            guard try await Identity(app: app).account(driverID) != nil else { throw AppError.notFound("no such driver") }
            let ((session, at), _, _) = try await dryRun(driverID) { transaction in
                try await service.endByStaff(driverID: driverID, on: transaction)
            }
            let after: String = session.map { running in
                running.endedAt == nil
                    ? "A provider shift is still running, so session \(AdminFormat.shortID(running.id)) goes on: force-close it on its page to stop cover."
                    : "Session \(AdminFormat.shortID(running.id)) stays covered until \(AdminFormat.localText(running.coveredUntil)) (the paid hour at least) "
                        + "and is charged in full when it closes (10 minutes after the last shift, unless one joins it)."
            } ?? "Nothing covers the driver after it."
            return AdminActionPlan(
                objectType: "driver", objectID: driverID.uuidString.lowercased(), driverID: driverID,
                effect: "End the cover this driver started by hand, at the moment you confirm (now \(AdminFormat.localText(at)), their time), as their own manual stop does. \(after)",
                parameters: .object(["driver_id": .string(driverID.uuidString.lowercased())]),
                returnPath: Self.driverPath(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let (session, at) = try await service.endByStaff(driverID: driverID, on: execution.transaction)
            let rest = session.map { " Session \(AdminFormat.shortID($0.id)) covers until \(AdminFormat.localText($0.coveredUntil)) at least." } ?? ""
            return AdminActionOutcome("Ended cover by hand at \(AdminFormat.localText(at)) (UK time).\(rest)", path: Self.driverPath(driverID))
        })
    }

    // MARK: - Forms

    static func sessionPath(_ id: UUID) -> String { "/admin/cover/sessions/\(id.uuidString.lowercased())" }
    static func driverPath(_ id: UUID) -> String { "/admin/drivers/\(id.uuidString.lowercased())" }

    /// The session page's form: force-close while it runs.
    func sessionForms(_ request: AdminRequest, _ session: SessionRecord) -> HTML {
        guard session.status == "active" else { return "" }
        let form = AdminHTML.startForm(request, forceCloseSession, object: session.id.uuidString.lowercased(), danger: true)
        return form.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", form)
    }

    /// Driver 360's cover-by-hand forms: start when nothing covers the driver, end when cover
    /// started by hand is running.
    func driverForms(_ request: AdminRequest, driverID: UUID, covered: Bool) async throws -> HTML {
        guard request.staff.may(AdminPermission.cover.rawValue) else { return "" }
        let id = driverID.uuidString.lowercased()
        var forms: HTML = ""
        if !covered, try await policies.paygInForce(of: driverID) != nil {
            forms += AdminHTML.startForm(request, startCover, object: id)
        }
        if try await store.hasOpenManualShift(driverID: driverID) {
            forms += AdminHTML.startForm(request, endCover, object: id)
        }
        return forms.text.isEmpty ? "" : AdminHTML.section("Cover by hand", id: "cover-actions", "<div class=\"actions\">\(forms)</div>")
    }

    // MARK: - Previews

    private struct RolledBack<Value: Sendable>: Error { let value: Value }

    /// Runs `change` in a transaction that is always rolled back; its result with the driver's
    /// balance (cash and promotional) before and after. Refusals come out as they would on
    /// confirming.
    func dryRun<Value: Sendable>(_ driverID: UUID, _ change: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws
        -> (Value, before: Int64, after: Int64) {
        do {
            try await app.database.withTransaction { transaction in
                let (cash, promo) = try await Ledger().driverBalances(driverID, on: transaction)
                let value = try await change(transaction)
                let (cashAfter, promoAfter) = try await Ledger().driverBalances(driverID, on: transaction)
                throw RolledBack(value: (value, cash + promo, cashAfter + promoAfter))
            }
        } catch let rolledBack as RolledBack<(Value, Int64, Int64)> {
            return rolledBack.value
        }
        throw AppError.unavailable("the preview did not run; try again")
    }
}
