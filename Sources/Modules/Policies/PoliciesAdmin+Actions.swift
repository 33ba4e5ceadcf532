public import AdminUI
import AppKernel
import Audit
import Documents
import Foundation
import HTTPServer
import Identity
import Ledger
import Payments
import Postgres
import Wallet

/// Staff actions on a policy's page (OPS.md "Actions"): cancel, deactivate, re-issue the
/// certificate. Each goes through `PolicyLifecycle`, the code the driver's own
/// `POST /v1/policies/{id}/cancel` runs, so the postings, the refund and the session closed
/// are the ones the driver's request would make. "Now" is the driver's now (their test clock in
/// sandbox), as for their own request.
extension PoliciesAdmin {
    public var actions: [AdminAction] { [cancelPolicy, deactivatePolicy, reissueCertificate] }

    var lifecycle: PolicyLifecycle { PolicyLifecycle(app: app, wallet: wallet, endings: endings) }

    // MARK: - Cancel

    /// Cancels by PRODUCT.md's rules. The confirmation page states what the cancellation does
    /// by doing it in a transaction that is rolled back (the same code, so the same rules): the
    /// refund and where it goes (what is left of the payment, if staff refunded some of it
    /// already), the running session's closing charge, the balance before and after.
    /// Confirming runs it for real at the moment of confirming; if the refund would then differ
    /// from the one shown (an hour of the block passed in between, another refund was made), it
    /// is refused.
    var cancelPolicy: AdminAction {
        AdminAction("cancel_policy", title: "Cancel the policy", permission: .cover, needsSudo: true, plan: { request in
            let id = try request.objectID()
            guard let policy = try await store.show(id: id) else { throw AppError.notFound("no such policy") }
            let now = try await Identity(app: app).now(for: policy.driverId)
            let (preview, cancelled) = try await dryRun(policy, at: now) { transaction in
                try await lifecycle.cancel(id, ownedBy: nil, at: now, on: transaction).after
            }
            // What the unused hours are worth, and what the (rolled-back) cancellation gave back
            // of it: no more than is left of the payment, which staff may have refunded already.
            let worth = try PolicyLifecycle.refund(for: policy, at: now)
            let refund = worth.capped(at: cancelled.refundAmount)
            let less = refund.amount < worth.amount
                ? " (its unused hours are worth \(AdminFormat.money(worth.amount)); \(AdminFormat.money(worth.amount - refund.amount)) of that was refunded already)" : ""
            let refundText: String
            switch refund {
            case .none:
                refundText = worth.amount > 0
                    ? "No refund: the \(AdminFormat.money(worth.amount)) its unused hours are worth was refunded already (nothing is left of what the block took)."
                    : policy.isPAYG ? "No refund: pay as you go has nothing prepaid (a running session is charged, not refunded)."
                    : policy.status(at: now) == .pendingPayment ? "No refund: the block was never paid for." : "No refund: no whole hour of the block is left unused."
            case .wallet(let amount):
                refundText = "Refund \(AdminFormat.money(amount)) to the driver’s wallet (the block was paid from it)\(less)."
            case .card(let amount, let paymentID):
                let card = try await cardText(paymentID, driverID: policy.driverId)
                refundText = "Refund \(AdminFormat.money(amount)) to \(card) from payment \(AdminFormat.shortID(paymentID)) (the block was paid with it)\(less); "
                    + "the card processor is asked by the refunds sweep within 5 minutes of confirming."
            }
            let what = policy.isPAYG ? "pay-as-you-go policy" : "hourly block"
            return AdminActionPlan(
                objectType: "policy", objectID: id.uuidString.lowercased(), driverID: policy.driverId,
                effect: "Cancel \(what) \(policy.number) at the moment you confirm: nothing covers after it. \(preview.sessionSentence) \(refundText)",
                facts: preview.facts(refund: refund),
                parameters: .object(["policy_id": .string(id.uuidString.lowercased()), "driver_id": .string(policy.driverId.uuidString.lowercased()),
                                     "refund_amount": .integer(refund.amount)]),
                returnPath: Self.path(id))
        }, execute: { execution in
            let id = try execution.uuid("policy_id")
            let driverID = try execution.uuid("driver_id")
            let now = try await Identity(app: app).now(for: driverID, on: execution.transaction)
            let (_, cancelled) = try await lifecycle.cancel(id, ownedBy: nil, at: now, on: execution.transaction)
            let shown = try execution.integer("refund_amount")
            guard cancelled.refundAmount == shown else {
                throw AppError(status: .conflict, slug: "refund-changed",
                               detail: "The refund is now \(AdminFormat.money(cancelled.refundAmount)), not the \(AdminFormat.money(shown)) the confirmation page showed (time passed): nothing was done; start again from the policy page.")
            }
            let (cash, promo) = try await Ledger().driverBalances(driverID, on: execution.transaction)
            let refund: String = switch cancelled.funding {
            case _ where cancelled.refundAmount == 0: "no refund"
            case "wallet": "\(AdminFormat.money(cancelled.refundAmount)) refunded to the wallet"
            default: "\(AdminFormat.money(cancelled.refundAmount)) owed back to the card (sent by the refunds sweep within 5 minutes)"
            }
            return AdminActionOutcome("Cancelled \(cancelled.number) at \(AdminFormat.localText(now)) (UK time); \(refund); balance now \(AdminFormat.money(cash + promo)).",
                                      path: Self.path(id))
        })
    }

    // MARK: - Deactivate

    /// Takes a PAYG policy out of force (what that means: `PolicyLifecycle.deactivate`).
    var deactivatePolicy: AdminAction {
        AdminAction("deactivate_policy", title: "Deactivate the policy", permission: .cover, needsSudo: true, plan: { request in
            let id = try request.objectID()
            guard let policy = try await store.show(id: id) else { throw AppError.notFound("no such policy") }
            let now = try await Identity(app: app).now(for: policy.driverId)
            let (preview, _) = try await dryRun(policy, at: now) { transaction in
                _ = try await lifecycle.deactivate(id, at: now, on: transaction)
            }
            return AdminActionPlan(
                objectType: "policy", objectID: id.uuidString.lowercased(), driverID: policy.driverId,
                effect: "Deactivate pay-as-you-go policy \(policy.number) at the moment you confirm: no new cover starts under it, and nothing covers after it. "
                    + "\(preview.sessionSentence) No refund: pay as you go has nothing prepaid. The driver may bind a new policy; this one cannot be reactivated.",
                facts: preview.facts(refund: .none),
                parameters: .object(["policy_id": .string(id.uuidString.lowercased()), "driver_id": .string(policy.driverId.uuidString.lowercased())]),
                returnPath: Self.path(id))
        }, execute: { execution in
            let id = try execution.uuid("policy_id")
            let driverID = try execution.uuid("driver_id")
            let now = try await Identity(app: app).now(for: driverID, on: execution.transaction)
            let (_, deactivated) = try await lifecycle.deactivate(id, at: now, on: execution.transaction)
            let (cash, promo) = try await Ledger().driverBalances(driverID, on: execution.transaction)
            return AdminActionOutcome("Deactivated \(deactivated.number) at \(AdminFormat.localText(now)) (UK time); balance now \(AdminFormat.money(cash + promo)).",
                                      path: Self.path(id))
        })
    }

    // MARK: - Re-issue the certificate

    /// A fresh certificate: a new revision rendered now from the policy as it stands (a
    /// cancelled policy's says so); the old revisions stay stored exactly as issued.
    var reissueCertificate: AdminAction {
        AdminAction("reissue_certificate", title: "Re-issue the certificate", permission: .cover, plan: { request in
            let id = try request.objectID()
            guard let policy = try await store.show(id: id) else { throw AppError.notFound("no such policy") }
            if !policy.isPAYG, policy.paidAt == nil {
                throw AppError(status: .conflict, slug: "no-certificate",
                               detail: "Policy \(policy.number) has no certificate to re-issue: the block was never paid for, so it never covered anything.")
            }
            let revision = try await Documents(app: app).certificateRevision(for: id, on: app.database)
            let state = policy.endedAt.map { "stating that cover ended \(AdminFormat.localText($0))" } ?? "for cover in force"
            return AdminActionPlan(
                objectType: "policy", objectID: id.uuidString.lowercased(), driverID: policy.driverId,
                effect: "Issue a fresh certificate for \(policy.number) (revision \((revision ?? 0) + 1), HTML and PDF, \(state)); "
                    + "the driver downloads it from then on, and revision \(revision.map(String.init) ?? "—") stays stored as it was issued.",
                facts: [("Current revision", revision.map(String.init) ?? "none"), ("Policy status", policy.status.rawValue)],
                parameters: .object(["policy_id": .string(id.uuidString.lowercased()), "driver_id": .string(policy.driverId.uuidString.lowercased())]),
                returnPath: Self.path(id))
        }, execute: { execution in
            let id = try execution.uuid("policy_id")
            let driverID = try execution.uuid("driver_id")
            let now = try await Identity(app: app).now(for: driverID, on: execution.transaction)
            let (policy, _, revision) = try await lifecycle.reissueCertificate(id, at: now, on: execution.transaction)
            return AdminActionOutcome("Issued revision \(revision) of \(policy.number)’s certificate; the driver downloads it from now on.", path: Self.path(id))
        })
    }

    // MARK: - Forms

    /// The policy page's action forms, each shown when it applies (and only to staff who may take it).
    func actionForms(_ request: AdminRequest, _ policy: Policy, now: Date) async throws -> HTML {
        let id = policy.id.uuidString.lowercased()
        var forms: HTML = ""
        let status = policy.status(at: now)
        if (try? PolicyLifecycle.refund(for: policy, at: now)) != nil {
            forms += AdminHTML.startForm(request, cancelPolicy, object: id, danger: true)
        }
        if policy.isPAYG, status == .active || status == .paused {
            forms += AdminHTML.startForm(request, deactivatePolicy, object: id, danger: true)
        }
        if policy.isPAYG || policy.paidAt != nil {
            forms += AdminHTML.startForm(request, reissueCertificate, object: id)
        }
        return forms.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", "<div class=\"actions\">\(forms)</div>")
    }

    // MARK: - Previews

    /// What ending a policy would do, found by doing it and rolling it back.
    struct EndingPreview: Sendable {
        let balanceBefore: Int64
        let balanceAfter: Int64
        /// The postings it made, as the driver's money history shows them.
        let postings: [DriverTransaction]
        /// Sessions it closed: id, start, billed minutes, and what was charged for it before.
        let closedSessions: [(id: String, startedAt: String, billedMinutes: Int64, chargedBefore: Int64)]

        var sessionSentence: String {
            guard let session = closedSessions.first else { return "No cover session is running: nothing is charged." }
            let started = RFC3339.parse(session.startedAt).map { AdminFormat.localText($0) } ?? session.startedAt
            let more = postings.filter { $0.type == .sessionCharge && $0.relatedId?.uuidString.lowercased() == session.id }
                .reduce(Int64(0)) { $0 - $1.amount }
            return "Its running cover session (started \(started)) ends then and is charged as closed, the 60-minute minimum included: "
                + "\(session.billedMinutes) minutes, \(AdminFormat.money(session.chargedBefore + more)) in all"
                + (more > 0 ? " (\(AdminFormat.money(more)) more than the first hour already taken, if confirmed now)." : " (the first hour, already taken).")
        }

        func facts(refund: PolicyLifecycle.Refund) -> [(String, String)] {
            var facts: [(String, String)] = [("Balance", "\(AdminFormat.money(balanceBefore)) → \(AdminFormat.money(balanceAfter)) (if confirmed now)")]
            for posting in postings {
                facts.append(("Posting", "\(posting.amount >= 0 ? "+" : "−")\(AdminFormat.money(abs(posting.amount))) \(posting.description)"
                              + (posting.funding == "card" ? " (card)" : "")))
            }
            facts.append(("Refund", refund.amount == 0 ? "none" : AdminFormat.money(refund.amount)))
            return facts
        }
    }

    private struct RolledBack<Value: Sendable>: Error { let preview: EndingPreview; let value: Value }

    /// Runs `change` in a transaction that is always rolled back, and reports what it did to the
    /// driver's money and sessions, with what `change` returned. Refusals (409, 422) come out
    /// as they would on confirming.
    func dryRun<Value: Sendable>(_ policy: Policy, at now: Date,
                                 _ change: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> (EndingPreview, Value) {
        let driverID = policy.driverId
        let ledger = Ledger()
        let page = try PageRequest(query: "limit=50")
        do {
            try await app.database.withTransaction { transaction in
                let (cash, promo) = try await ledger.driverBalances(driverID, on: transaction)
                let earlier = Set(try await ledger.transactions(of: driverID, page: page, on: transaction).map(\.id))
                let earlierEvents = Set(try await Audit.history(of: [("driver", driverID.uuidString.lowercased())], limit: 50, on: transaction).map(\.id))
                let value = try await change(transaction)
                let (cashAfter, promoAfter) = try await ledger.driverBalances(driverID, on: transaction)
                let postings = try await ledger.transactions(of: driverID, page: page, on: transaction).filter { !earlier.contains($0.id) }
                let closed = try await Audit.history(of: [("driver", driverID.uuidString.lowercased())], limit: 50, on: transaction)
                    .filter { !earlierEvents.contains($0.id) && $0.action == "cover.session_closed" }
                    .compactMap { event -> (String, String, Int64, Int64)? in
                        // The cover module's snapshot of the session as it closed, before its closing charge.
                        guard case .object(let after)? = event.after, case .string(let started)? = after["started_at"],
                              case .integer(let minutes)? = after["billed_minutes"] else { return nil }
                        var charged: Int64 = 0
                        if case .integer(let amount)? = after["charged_amount"] { charged = amount }
                        return (event.objectID, started, minutes, charged)
                    }
                throw RolledBack(preview: EndingPreview(balanceBefore: cash + promo, balanceAfter: cashAfter + promoAfter,
                                                        postings: postings.reversed(), closedSessions: closed), value: value)
            }
        } catch let rolledBack as RolledBack<Value> {
            return (rolledBack.preview, rolledBack.value)
        }
        throw AppError.unavailable("the preview did not run; try again")
    }

    /// "Visa •4242" for the card a payment was made with.
    func cardText(_ paymentID: UUID, driverID: UUID) async throws -> String {
        guard let payment = try await wallet.payments.payment(paymentID),
              let card = try await wallet.payments.card(payment.paymentMethodID, ownedBy: driverID) else { return "the card it was paid with" }
        return "\(card.brand.capitalized) •\(card.last4)"
    }
}
