public import AdminUI
public import AppKernel
public import Foundation
import Identity
import Ledger
public import Payments
import Wallet

/// The staff refund of a card payment (OPS.md "Actions": `refund`), offered on the payment's
/// page (which reads refunds through `PaymentRefundsSource`). The money goes back to the card
/// through the processor; four-eyes over £50 or over the maker's ceiling (runtime settings).
extension RefundsAdmin {
    public var actions: [AdminAction] { refunds == nil ? [] : [refund] }

    static func paymentPath(_ id: UUID) -> String { "/admin/payments/\(id.uuidString.lowercased())" }

    static func cardText(_ card: PaymentMethod?) -> String {
        card.map { "\($0.brand.capitalized) •\($0.last4)" } ?? "the card it was paid with"
    }

    var refund: AdminAction {
        AdminAction("refund", title: "Refund to the card", permission: .money, needsSudo: true, plan: { request in
            guard let refunds else { throw AppError.notFound("refunds are not installed") }
            let paymentID = try request.objectID()
            let refundable = try await refunds.cardRefundable(paymentID)
            let payment = refundable.payment
            guard refundable.remaining > 0 else {
                throw AppError.invalid("nothing is left to refund: \(AdminFormat.money(refundable.refunded)) of \(AdminFormat.money(payment.amount)) was refunded already")
            }
            let amount = request.form["amount"] == nil ? refundable.remaining : try request.amount()
            guard amount <= refundable.remaining else {
                throw Wallet.tooMuch(asked: amount, left: refundable.remaining, of: payment.amount)
            }
            let card = Self.cardText(refundable.card)
            let topUp = payment.purpose.isTopUp
            let (cash, _) = try await Ledger().driverBalances(payment.driverID, on: app.database)
            if topUp, amount > cash { throw Wallet.topUpRefundBelowZero(amount: amount, cash: cash) }
            let description = try Wallet.lineDescription(request.form["description"]
                ?? (topUp ? "Top-up refunded to \(card)" : "Refund to \(card) for hourly cover"))
            let after = topUp ? cash - amount : cash
            let what = topUp ? "the wallet’s cash goes down with it" : "hourly cover paid by card: the policy stays as it is (cancelling it is the policy’s own action)"
            return AdminActionPlan(
                objectType: "payment", objectID: paymentID.uuidString.lowercased(), driverID: payment.driverID,
                effect: "Refund \(AdminFormat.money(amount)) to \(card) from payment \(AdminFormat.shortID(paymentID)); balance after \(AdminFormat.money(after)).",
                facts: [("Balance", topUp ? "\(AdminFormat.money(cash)) → \(AdminFormat.money(after))" : "\(AdminFormat.money(cash)) (unchanged)"),
                        ("Payment", "\(AdminFormat.money(payment.amount)) taken, \(AdminFormat.money(refundable.refunded)) refunded already, "
                            + "\(AdminFormat.money(refundable.remaining - amount)) left to refund after this"),
                        ("What it paid for", what),
                        ("The driver sees", description)],
                parameters: .object(["payment_id": .string(paymentID.uuidString.lowercased()), "amount": .integer(amount),
                                     "description": .string(description), "card": .string(card)]),
                fourEyes: await refunds.wallet.refundFourEyes(amount: amount, makerRole: request.staff.role),
                limit: AdminFourEyesLimit(group: "refund", amount: amount, over: await refunds.wallet.refundLimit(makerRole: request.staff.role),
                                          what: "refunds"),
                returnPath: Self.paymentPath(paymentID))
        }, execute: { execution in
            guard let refunds else { throw AppError.notFound("refunds are not installed") }
            let paymentID = try execution.uuid("payment_id")
            let amount = try execution.integer("amount")
            guard let payment = try await refunds.wallet.payments.payment(paymentID, on: execution.transaction) else {
                throw AppError.notFound("no such payment")
            }
            let now = try await Identity(app: app).now(for: payment.driverID, on: execution.transaction)
            // Recorded pending in this transaction, with its audit event; the card processor is
            // called only after the transaction commits, outside it, so that no failure after
            // the processor refunded can roll back the refund's record (a retry with a new token
            // would refund the driver twice) and no wallet lock is held over the network. That
            // call is the outcome's `afterCommit` rather than a queued job: the refunds sweep
            // (every 5 minutes, `refunds.complete_pending`) already sends a pending refund the
            // processor has not accepted again with the same key, and the processor's refund
            // event books it too, so the refunds module needs no job queue, and the refund is
            // usually booked before the result page shows.
            let refund = try await refunds.requestRefundToCard(paymentID: paymentID, amount: amount, id: execution.key,
                                                               description: try execution.string("description"), at: now,
                                                               on: execution.transaction)
            let left = try await refunds.cardRefundable(paymentID, on: execution.transaction).remaining
            return AdminActionOutcome("Refund \(AdminFormat.money(amount)) to \(try execution.string("card")) requested; the card processor confirms within minutes. "
                                      + "\(AdminFormat.money(left)) left to refund of this payment.",
                                      path: Self.paymentPath(paymentID), afterCommit: { try await refunds.complete(refund.id) })
        })
    }

    // MARK: - PaymentRefundsSource

    public func actionForms(_ request: AdminRequest, payment: Payment) -> HTML {
        guard refunds != nil, payment.status == .succeeded, payment.pspIntentID != nil else { return "" }
        let form = AdminHTML.startForm(request, refund, object: payment.id.uuidString.lowercased(), fields: """
            <label>Amount (£) <input type="text" name="amount" inputmode="decimal" placeholder="blank: all that is left"></label>\
            <label>Description the driver sees <input type="text" name="description" maxlength="200" placeholder="Refund to the card"></label>
            """)
        return form.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", form)
    }
}
