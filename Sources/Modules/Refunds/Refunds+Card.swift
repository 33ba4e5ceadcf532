public import AppKernel
import Audit
import HTTPServer
public import Foundation
import Ledger
public import Payments
public import Postgres
import Rating
public import Wallet

/// A card payment and what is left to refund of it.
public struct CardRefundable: Sendable {
    public let payment: Payment
    /// The card it was taken from, when the driver still has it saved.
    public let card: PaymentMethod?
    /// Refunded already or on its way to the processor (a failed refund gave nothing back).
    public let refunded: Int64
    public var remaining: Int64 { max(0, payment.amount - refunded) }
}

/// Staff refunds of card payments (OPS.md "Actions": `refund`): in full or in part, several
/// times, never beyond what the payment took; through the card processor, keyed by the action's
/// one-time token so a retried call never refunds twice there either. Recorded in the action's
/// transaction, sent to the processor after it commits (`requestRefundToCard`, `complete`).
extension Refunds {
    /// 404 for no such payment; 422 for one that cannot be refunded (not a succeeded card payment).
    public func cardRefundable(_ paymentID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> CardRefundable {
        let database = database ?? app.database
        guard let payment = try await wallet.payments.payment(paymentID, on: database) else { throw AppError.notFound("no such payment") }
        guard payment.status == .succeeded, payment.pspIntentID != nil else {
            throw AppError.invalid("only a succeeded card payment can be refunded; this one is \(payment.status.rawValue.replacingOccurrences(of: "_", with: " "))")
        }
        let card = try await wallet.payments.card(payment.paymentMethodID, ownedBy: payment.driverID, on: database)
        let refunded = try await RefundsStore(database: database).refundedTotal(paymentID: paymentID)
        return CardRefundable(payment: payment, card: card, refunded: refunded)
    }

    /// Asks for a refund of `amount` of a card payment to its card, inside the caller's
    /// transaction (the staff action's): checks what is left (422 "£30.00 asked, £12.50 left to
    /// refund of £20.00") and, for a top-up, that the wallet's cash covers it with the top-up
    /// refunds already on their way (the money leaves the wallet; promotional credit is never
    /// paid out); records the refund `pending` as `id` (what is left to refund counts it at
    /// once, so nothing can refund the same money twice) and one audit event on the payment,
    /// with what was refunded before and after. The same `id` again returns the refund recorded
    /// the first time.
    ///
    /// Nothing is sent to the processor here, and nothing is booked: call `complete(id)` once
    /// this transaction has committed, outside any transaction. It sends the refund with `id`
    /// as its idempotency key and books it when the processor says it succeeded (a block's
    /// refund gives back premium and IPT in proportion, and cover is not cancelled: that is the
    /// policy's own action; a top-up's takes the cash out of the wallet). If that call fails or
    /// the process dies first, the refunds sweep sends it again with the same key, and the
    /// processor's refund event books it too: the refund committed here is never lost, and the
    /// processor never refunds it twice.
    @discardableResult
    public func requestRefundToCard(paymentID: UUID, amount: Int64, id: UUID, description: String, at instant: Date,
                                    on transaction: PostgresConnection) async throws -> Refund {
        precondition(amount > 0, "a refund must be positive")
        let store = RefundsStore(database: transaction)
        guard let known = try await wallet.payments.payment(paymentID, on: transaction) else { throw AppError.notFound("no such payment") }
        let ledger = Ledger()
        // One driver's refunds and spending are decided one at a time.
        try await ledger.lockWallet(of: known.driverID, on: transaction)
        if let done = try await store.find(id), done.paymentID == paymentID { return done }
        let refundable = try await cardRefundable(paymentID, on: transaction)
        let payment = refundable.payment
        guard amount <= refundable.remaining else {
            throw Wallet.tooMuch(asked: amount, left: refundable.remaining, of: payment.amount)
        }
        let (cash, _) = try await ledger.driverBalances(payment.driverID, on: transaction)
        let topUp = payment.purpose.isTopUp
        if topUp {
            // Cash that other top-up refunds will take out when the processor confirms them is spoken for.
            let available = cash - (try await store.pendingTopUpRefunds(driverID: payment.driverID))
            if amount > available { throw Wallet.topUpRefundBelowZero(amount: amount, cash: available) }
        }
        let subject = topUp ? payment.id : (payment.relatedID ?? payment.id)
        try await store.insert(id: id, driverID: payment.driverID, subjectID: subject, paymentID: payment.id, amount: amount,
                               ipt: topUp ? 0 : PremiumTax.ipt(ofGross: amount), destination: "card", state: "pending", reason: description,
                               origin: "staff", at: instant)
        try await Audit.record("refunds.refunded_to_card", AuditObject("payment", payment.id, driver: payment.driverID),
                               before: .object(["refunded_amount": .integer(refundable.refunded), "refundable_amount": .integer(refundable.remaining),
                                                "balance_amount": .integer(cash)]),
                               after: .object(["refunded_amount": .integer(refundable.refunded + amount),
                                               "refundable_amount": .integer(refundable.remaining - amount),
                                               "balance_amount": .integer(topUp ? cash - amount : cash), "amount": .integer(amount),
                                               "refund_id": .string(id.uuidString.lowercased()), "state": .string("pending"),
                                               "reason": .string(description)]),
                               on: transaction)
        guard let refund = try await store.find(id) else { throw AppError.notFound("the refund vanished") }
        return refund
    }
}
