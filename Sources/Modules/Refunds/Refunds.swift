public import AppKernel
public import Foundation
import Identity
import Ledger
import Logging
public import Payments
public import Postgres
public import Wallet
import Audit

/// A refund owed or made.
public struct Refund: Sendable, Equatable {
    public let id: UUID
    public let driverID: UUID
    public let subjectID: UUID
    public let paymentID: UUID?
    public let amount: Int64
    public let iptAmount: Int64
    public let destination: String
    /// `pending` (owed to a card: not yet sent, or accepted by the processor and not yet
    /// confirmed), `succeeded` (booked), or `failed` (the processor refused it, or reported a
    /// refund it had confirmed failed, which a reversing posting undid: the money is still owed
    /// for a policy's refund, for ops to resolve; a staff refund can be asked for again).
    public let state: String
    public let reason: String
    public let createdAt: Date

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverID = try row.decode(UUID.self, at: 1)
        subjectID = try row.decode(UUID.self, at: 2)
        paymentID = try row.decode(UUID?.self, at: 3)
        amount = try row.decode(Int64.self, at: 4)
        iptAmount = try row.decode(Int64.self, at: 5)
        destination = try row.decode(String.self, at: 6)
        state = try row.decode(String.self, at: 7)
        reason = try row.decode(String.self, at: 8)
        createdAt = try row.decode(Date.self, at: 9)
    }

    static let columns: SQL = "id, driver_id, subject_id, payment_id, amount, ipt_amount, destination, state, reason, created_at"
}

/// The refunds module's public API: money goes back where it came from (PRODUCT.md). Premium
/// and IPT are given back in proportion: IPT = round_half_up(refund × 3/28).
public struct Refunds: Sendable {
    let app: AppContext
    let wallet: Wallet

    public init(app: AppContext, wallet: Wallet) {
        self.app = app
        self.wallet = wallet
    }

    /// The processor reported a refund (inside the transaction recording its event): one we
    /// sent but never heard back about, or that it accepted as pending, is booked now or marked
    /// failed; one booked already that it now reports failed is reversed.
    public func processorReported(_ gatewayRefund: GatewayRefund, on transaction: PostgresConnection) async throws {
        guard let id = gatewayRefund.metadata["refund_id"].flatMap(UUID.init(uuidString:)) else { return }
        try await apply(gatewayRefund.status, to: id, processorRefundID: gatewayRefund.id, on: transaction)
    }

    /// What the processor says of a refund, applied: `succeeded` books it (once); `failed` or
    /// `canceled` fails it (reversing it if it was booked); anything else (`pending`,
    /// `requires_action`) is not an outcome: the refund stays pending, with the processor's id,
    /// until the processor reports one.
    func apply(_ status: String, to id: UUID, processorRefundID: String, on transaction: PostgresConnection) async throws {
        switch status {
        case "succeeded": try await book(id, processorRefundID: processorRefundID, on: transaction)
        case "failed", "canceled": try await fail(id, processorRefundID: processorRefundID, on: transaction)
        default: try await RefundsStore(database: transaction).noteAccepted(id, processorRefundID: processorRefundID)
        }
    }

    /// Refunds a wallet-paid purchase into the wallet, inside the caller's transaction
    /// (promotional credit returns as promotional credit), never more than is left of it after
    /// refunds already made (staff may have given part of it back): nothing when nothing is left.
    /// Returns what it refunded (0: nothing), which is what the caller may say was refunded.
    @discardableResult
    public func toWallet(driverID: UUID, subjectID: UUID, amount asked: Int64, purchaseCause: String, description: String,
                         at instant: Date, on transaction: PostgresConnection) async throws -> Int64 {
        try await Ledger().lockWallet(of: driverID, on: transaction)
        let amount = min(asked, try await wallet.refundable(.posting(cause: purchaseCause), driverID: driverID, relatedID: subjectID,
                                                            on: transaction))
        guard amount > 0 else { return 0 }
        let id = UUID()
        try await RefundsStore(database: transaction).insert(
            id: id, driverID: driverID, subjectID: subjectID, paymentID: nil, amount: amount, destination: "wallet",
            state: "succeeded", reason: description, at: instant)
        try await Audit.record("refunds.to_wallet", AuditObject("refund", id, driver: driverID),
                               after: .object(["amount": .integer(amount), "subject_id": .string(subjectID.uuidString.lowercased()),
                                               "reason": .string(description)]), on: transaction)
        try await wallet.refund(driverID: driverID, amount: amount, purchase: .posting(cause: purchaseCause), description: description,
                                causedBy: "refund:\(id.uuidString.lowercased())", relatedID: subjectID, at: instant, on: transaction)
        return amount
    }

    /// Records a card refund as owed, inside the caller's transaction. Complete it with
    /// `complete(_:)` after that transaction commits (it calls the card processor).
    /// Never more than is left of the payment after the refunds already made (staff may have
    /// refunded part of it): nil, and nothing owed, when nothing is left. Returns the refund's
    /// id and what it owes, which is what the caller may say is refunded.
    @discardableResult
    public func owedToCard(payment: Payment, subjectID: UUID, amount asked: Int64, description: String, at instant: Date,
                           on transaction: PostgresConnection) async throws -> (id: UUID, amount: Int64)? {
        try await Ledger().lockWallet(of: payment.driverID, on: transaction)
        let left = payment.amount - (try await RefundsStore(database: transaction).refundedTotal(paymentID: payment.id))
        let amount = min(asked, left)
        guard amount > 0 else { return nil }
        let id = UUID()
        try await RefundsStore(database: transaction).insert(
            id: id, driverID: payment.driverID, subjectID: subjectID, paymentID: payment.id, amount: amount, destination: "card",
            state: "pending", reason: description, at: instant)
        try await Audit.record("refunds.owed_to_card", AuditObject("refund", id, driver: payment.driverID),
                               after: .object(["amount": .integer(amount), "payment_id": .string(payment.id.uuidString.lowercased()),
                                               "subject_id": .string(subjectID.uuidString.lowercased()), "reason": .string(description)]),
                               on: transaction)
        return (id, amount)
    }

    /// Sends an owed card refund to the processor (keyed by the refund id, so a retry never
    /// refunds twice), outside any transaction, then applies its answer in a transaction of its
    /// own: books it if the processor says it succeeded, fails it if it refused, and leaves it
    /// pending if the processor has not finished it (its refund event books it later). Does
    /// nothing for a refund no longer pending, or one the processor accepted and has not
    /// finished. A failed call leaves it pending for the sweep to send again.
    public func complete(_ refundID: UUID) async throws {
        guard let detail = try await RefundsStore(database: app.database).detail(id: refundID), detail.refund.state == "pending",
              detail.pspRefundID == nil, let paymentID = detail.refund.paymentID, let payment = try await wallet.payments.payment(paymentID)
        else { return }
        let refund = detail.refund
        let sent = try await wallet.payments.refund(payment, amount: refund.amount, refundID: refund.id,
                                                    postedAs: Ledger.transactionID(causedBy: Self.cause(ofRefund: refund.id)))
        try await app.database.withTransaction { transaction in
            try await apply(sent.status, to: refund.id, processorRefundID: sent.id, on: transaction)
        }
    }

    /// Marks a pending card refund succeeded and posts it (card money back out of PSP
    /// clearing), dated at the driver's "now". Once only: a second call finds it done.
    func book(_ refundID: UUID, processorRefundID: String, on transaction: PostgresConnection) async throws {
        guard let refund = try await RefundsStore(database: transaction).find(refundID, forUpdate: true), refund.state == "pending"
        else { return }
        let now = try await Identity(app: app).now(for: refund.driverID, on: transaction)
        try await RefundsStore(database: transaction).markSucceeded(refundID, processorRefundID: processorRefundID, at: now)
        try await Audit.record("refunds.succeeded", AuditObject("refund", refundID, driver: refund.driverID),
                               before: .object(["state": .string("pending")]),
                               after: .object(["state": .string("succeeded"), "psp_refund_id": .string(processorRefundID), "amount": .integer(refund.amount)]),
                               on: transaction)
        var payment: Payment?
        if let paymentID = refund.paymentID { payment = try await wallet.payments.payment(paymentID, on: transaction) }
        try await post(refund, payment: payment, processorRefundID: processorRefundID, at: now, on: transaction)
    }

    /// What a card refund is booked as ("refund:<id>"); its id goes to the processor with it.
    static func cause(ofRefund refundID: UUID) -> String { "refund:\(refundID.uuidString.lowercased())" }

    /// A pending or booked card refund the processor refused or reported failed: marked failed
    /// and audited once (a second report changes nothing and records nothing). One it had
    /// booked is undone by a new posting, the exact opposite of its own (the ledger is
    /// append-only): the money never left us.
    func fail(_ refundID: UUID, processorRefundID: String, on transaction: PostgresConnection) async throws {
        let store = RefundsStore(database: transaction)
        guard let refund = try await store.find(refundID, forUpdate: true), refund.state != "failed",
              try await store.markFailed(refundID, processorRefundID: processorRefundID) else { return }
        let reversed = refund.state == "succeeded"
        if reversed {
            let now = try await Identity(app: app).now(for: refund.driverID, on: transaction)
            var payment: Payment?
            if let paymentID = refund.paymentID { payment = try await wallet.payments.payment(paymentID, on: transaction) }
            try await reverse(refund, payment: payment, at: now, on: transaction)
        }
        try await Audit.record("refunds.failed", AuditObject("refund", refundID, driver: refund.driverID),
                               before: .object(["state": .string(refund.state)]),
                               after: .object(["state": .string("failed"), "psp_refund_id": .string(processorRefundID),
                                               "amount": .integer(refund.amount), "reversed": .bool(reversed)]),
                               on: transaction)
    }

    /// The refund's ledger posting, once: card money back out of PSP clearing. A refund of
    /// premium (a block) takes back premium and IPT in proportion and leaves the wallet alone; a
    /// refund of a top-up takes the money out of the wallet's cash. The processor has refunded
    /// it by now, so a top-up's is booked even if the driver spent the cash meanwhile (the
    /// request checked it was there; the balance may go below £0, and cover pauses as usual).
    /// The clearing leg records the processor's `re_…`, which its settlement report names.
    func post(_ refund: Refund, payment: Payment?, processorRefundID: String, at instant: Date,
              on transaction: PostgresConnection) async throws {
        let cause = Self.cause(ofRefund: refund.id)
        if let payment, payment.purpose.isTopUp {
            try await wallet.refundTopUp(driverID: refund.driverID, paymentID: payment.id, amount: refund.amount, description: refund.reason,
                                         causedBy: cause, processorReference: processorRefundID, at: instant, allowingBelowZero: true,
                                         on: transaction)
            return
        }
        try await Ledger().post(LedgerPosting(
            causedBy: cause, kind: .refund, driverID: refund.driverID,
            description: refund.reason, driverAmount: refund.amount, iptAmount: refund.iptAmount, funding: "card",
            relatedID: refund.subjectID,
            entries: [(.premiumIncome, refund.amount - refund.iptAmount), (.iptPayable, refund.iptAmount), (.pspClearing, -refund.amount)],
            createdAt: instant, processorReference: processorRefundID), on: transaction)
    }

    /// The opposite of `post`, once (`refund:<id>:reversed`): a refund the processor reported
    /// failed after it was booked. A block's premium and IPT are taken back; a top-up's cash
    /// returns to the wallet. Its clearing leg has no processor id: `re_…` is the booked leg's
    /// (one leg per processor id), and a failed refund is no movement the processor settles.
    func reverse(_ refund: Refund, payment: Payment?, at instant: Date, on transaction: PostgresConnection) async throws {
        let cause = "refund:\(refund.id.uuidString.lowercased()):reversed"
        let description = "Refund failed at the card processor, reversed: \(refund.reason)"
        if let payment, payment.purpose.isTopUp {
            try await wallet.reverseTopUpRefund(driverID: refund.driverID, paymentID: payment.id, amount: refund.amount,
                                                description: description, causedBy: cause, at: instant, on: transaction)
            return
        }
        try await Ledger().post(LedgerPosting(
            causedBy: cause, kind: .refund, driverID: refund.driverID,
            description: description, driverAmount: -refund.amount, iptAmount: -refund.iptAmount, funding: "card",
            relatedID: refund.subjectID,
            entries: [(.premiumIncome, -(refund.amount - refund.iptAmount)), (.iptPayable, -refund.iptAmount), (.pspClearing, refund.amount)],
            createdAt: instant), on: transaction)
    }

    /// Completes the card refunds still pending (after a crash, or a payment that succeeded
    /// after its cover was cancelled): every driver's by the recurring job, or only `driverIDs`'
    /// (a test clock's drivers, when it advances).
    public func completePending(driverIDs: [UUID]? = nil) async {
        do {
            for id in try await RefundsStore(database: app.database).pending(driverIDs: driverIDs) {
                do { try await complete(id) } catch {
                    app.logger.error("refund could not be completed", metadata: ["refund.id": "\(id)", "error": "\(error)"])
                }
            }
        } catch {
            app.logger.error("could not list pending refunds", metadata: ["error": "\(error)"])
        }
    }

    public func refund(for subjectID: UUID) async throws -> Refund? {
        try await RefundsStore(database: app.database).refund(forSubject: subjectID)
    }
}
