public import AppKernel
public import Foundation
public import HTTPServer
import Identity
public import Postgres
import Synchronization
import Logging
import Audit

/// What other modules do when one of their payments reaches a final state (a top-up credits
/// the wallet, a block purchase activates the policy), when the processor reports a refund,
/// and when it reports a payout paid. Called inside the transaction that records the outcome
/// (or the event), exactly once per payment, and once per event.
public final class PaymentOutcomes: Sendable {
    public typealias Handler = @Sendable (Payment, PostgresConnection) async throws -> Void
    public typealias RefundHandler = @Sendable (GatewayRefund, PostgresConnection) async throws -> Void
    public typealias PayoutHandler = @Sendable (ReportedPayout, PostgresConnection) async throws -> Void
    private let handlers = Mutex<[PaymentPurpose: Handler]>([:])
    private let refundHandlers = Mutex<[RefundHandler]>([])
    private let payoutHandlers = Mutex<[PayoutHandler]>([])

    public init() {}

    public func register(_ purpose: PaymentPurpose, _ handler: @escaping Handler) {
        handlers.withLock { $0[purpose] = handler }
    }

    /// Hears every refund event the processor sends (the refunds module books its own).
    public func registerRefunds(_ handler: @escaping RefundHandler) {
        refundHandlers.withLock { $0.append(handler) }
    }

    /// Hears every `payout.paid` event (reconciliation fetches the payout's report). A
    /// redelivered event is not heard again; a second event about the same payout is.
    public func registerPayouts(_ handler: @escaping PayoutHandler) {
        payoutHandlers.withLock { $0.append(handler) }
    }

    func handler(for purpose: PaymentPurpose) -> Handler? { handlers.withLock { $0[purpose] } }
    var refunds: [RefundHandler] { refundHandlers.withLock { $0 } }
    var payouts: [PayoutHandler] { payoutHandlers.withLock { $0 } }
}

/// The payments module's public API: cards, charges (with SCA), refunds, and recovery of
/// payments whose outcome we never heard.
public struct Payments: Sendable {
    /// The failure code of a payment the processor has no record of (we died before sending
    /// it): nothing was taken. If the processor later reports it succeeded after all, the
    /// success is applied.
    public static let noRecordAtProcessor = "processor_no_record"
    /// The recurring job that settles payments left unsettled.
    public static let recoveryJob = "payments.recover_unsettled"

    let app: AppContext
    let gateway: any PaymentGateway
    let outcomes: PaymentOutcomes

    public init(app: AppContext, gateway: any PaymentGateway, outcomes: PaymentOutcomes) {
        self.app = app
        self.gateway = gateway
        self.outcomes = outcomes
    }

    public func card(_ id: UUID, ownedBy driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> PaymentMethod? {
        try await PaymentsStore(database: database ?? app.database).card(id: id, driverID: driverID)
    }

    public func defaultCard(of driverID: UUID) async throws -> PaymentMethod? {
        try await PaymentsStore(database: app.database).defaultCard(driverID: driverID)
    }

    public func payment(_ id: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Payment? {
        try await PaymentsStore(database: database ?? app.database).payment(id: id)
    }

    /// A payment of this purpose created in the last 10 minutes that has not ended yet.
    public func hasPaymentInProgress(driverID: UUID, purpose: PaymentPurpose, on database: any PostgresQueryable) async throws -> Bool {
        try await PaymentsStore(database: database).inProgress(driverID: driverID, purpose: purpose)
    }

    /// Records a new payment (status `processing`) inside the caller's transaction.
    public func createPayment(id: UUID = UUID(), driverID: UUID, purpose: PaymentPurpose, amount: Int64, card: PaymentMethod,
                              relatedID: UUID?, at instant: Date, on transaction: PostgresConnection) async throws -> UUID {
        try await PaymentsStore(database: transaction).insertPayment(
            id: id, driverID: driverID, purpose: purpose, amount: amount, paymentMethodID: card.id, relatedID: relatedID, at: instant)
        try await Audit.record("payments.created", AuditObject("payment", id, driver: driverID),
                               after: .object(["amount": .integer(amount), "purpose": .string(purpose.rawValue),
                                               "card": .string(card.id.uuidString.lowercased()),
                                               "related_id": relatedID.map { .string($0.uuidString.lowercased()) } ?? .null]), on: transaction)
        return id
    }

    /// Charges the card at the processor and records the outcome. Safe to call again for the
    /// same payment: the processor call is keyed by the payment id, and settling is once-only.
    /// `ledgerTransactionID` is the ledger transaction the capture will be posted under (the
    /// caller's outcome handler posts it): it travels as the intent's `hourglass_txn_id`
    /// metadata, which the processor's settlement report repeats, so reconciliation can find the
    /// capture even where its clearing leg lacks the charge id.
    public func execute(paymentID: UUID, offSession: Bool, capturePostedAs ledgerTransactionID: UUID) async throws -> Payment {
        let store = PaymentsStore(database: app.database)
        guard let payment = try await store.payment(id: paymentID) else { throw AppError.notFound("no payment \(paymentID)") }
        if payment.status.isFinal || payment.pspIntentID != nil { return try await refresh(payment) }
        let cards = try await store.cards(driverID: payment.driverID)
        guard let card = cards.first(where: { $0.id == payment.paymentMethodID }) else { throw AppError.notFound("the card was removed") }
        let intent = try await callGateway {
            try await gateway.charge(amount: payment.amount, currency: payment.currency, card: card.pspID, offSession: offSession,
                                     idempotencyKey: "payment-\(paymentID.uuidString.lowercased())",
                                     metadata: ["payment_id": paymentID.uuidString.lowercased(), "purpose": payment.purpose.rawValue,
                                                "hourglass_txn_id": ledgerTransactionID.uuidString.lowercased()])
        }
        return try await settle(paymentID: paymentID, with: intent)
    }

    /// Reads the payment's intent from the processor and records any change (after SCA).
    public func refresh(_ payment: Payment) async throws -> Payment {
        guard !payment.status.isFinal, let intentID = payment.pspIntentID else { return payment }
        let intent = try await callGateway { try await gateway.intent(id: intentID) }
        return try await settle(paymentID: payment.id, with: intent)
    }

    /// Records the processor's view in its own transaction, at the driver's "now".
    func settle(paymentID: UUID, with intent: GatewayIntent) async throws -> Payment {
        try await app.database.withTransaction { transaction in
            try await settle(paymentID: paymentID, with: intent, on: transaction)
        }
    }

    /// Records the processor's view inside the caller's transaction; on the first move to a
    /// final state, runs the purpose's outcome handler there too. A payment we marked as never
    /// received by the processor still takes a later success (the money was taken after all).
    func settle(paymentID: UUID, with intent: GatewayIntent, on transaction: PostgresConnection) async throws -> Payment {
        let store = PaymentsStore(database: transaction)
        guard let current = try await store.payment(id: paymentID, forUpdate: true) else {
            throw AppError.notFound("no payment \(paymentID)")
        }
        let lateSuccess = current.status == .failed && current.failureCode == Self.noRecordAtProcessor && intent.status == .succeeded
        if current.status.isFinal && !lateSuccess { return current }
        let now = try await Identity(app: app).now(for: current.driverID, on: transaction)
        let updated = try await store.record(intent, for: paymentID, at: now)
        if updated.status != current.status {
            try await Audit.record("payments.\(updated.status.rawValue)", AuditObject("payment", paymentID, driver: current.driverID),
                                   before: .object(["status": .string(current.status.rawValue)]),
                                   after: .object(["status": .string(updated.status.rawValue), "failure_code": updated.failureCode.map(JSONValue.string) ?? .null,
                                                   "psp_intent_id": .string(intent.id)]), on: transaction)
        }
        if updated.status.isFinal, let handler = outcomes.handler(for: updated.purpose) {
            try await handler(updated, transaction)
        }
        return updated
    }

    /// Settles every payment left `processing` (or waiting for SCA) for longer than `age` of
    /// real time: asks the processor by intent id, or by our metadata when we never learnt the
    /// intent (the process died between the charge and our commit). A payment the processor
    /// has no record of was never charged: it fails, and its purpose's failure outcome runs.
    /// `driverIDs` limits it to those drivers' payments (tests sharing one database).
    public func recoverUnsettled(olderThan age: Duration, driverIDs: [UUID]? = nil) async {
        do {
            let stale = try await PaymentsStore(database: app.database).unsettled(olderThanSeconds: Int(age.components.seconds),
                                                                                   driverIDs: driverIDs)
            for payment in stale {
                do {
                    try await recover(payment)
                } catch {
                    app.logger.error("could not recover a payment", metadata: ["payment.id": "\(payment.id)", "error": "\(error)"])
                }
            }
        } catch {
            app.logger.error("could not list unsettled payments", metadata: ["error": "\(error)"])
        }
    }

    private func recover(_ payment: Payment) async throws {
        if let intentID = payment.pspIntentID {
            _ = try await settle(paymentID: payment.id, with: try await callGateway { try await gateway.intent(id: intentID) })
            return
        }
        let id = payment.id.uuidString.lowercased()
        if let intent = try await callGateway({ try await gateway.intent(forPayment: id) }) {
            app.logger.notice("recovered a payment the processor had", metadata: ["payment.id": "\(id)", "psp.intent": "\(intent.id)"])
            _ = try await settle(paymentID: payment.id, with: intent)
        } else {
            app.logger.notice("payment never reached the processor: failed", metadata: ["payment.id": "\(id)"])
            try await app.database.withTransaction { transaction in
                let store = PaymentsStore(database: transaction)
                guard let current = try await store.payment(id: payment.id, forUpdate: true), !current.status.isFinal,
                      current.pspIntentID == nil else { return }
                let now = try await Identity(app: app).now(for: current.driverID, on: transaction)
                let failed = try await store.markFailed(payment.id, code: Self.noRecordAtProcessor, at: now)
                try await Audit.record("payments.failed", AuditObject("payment", payment.id, driver: current.driverID),
                                       before: .object(["status": .string(current.status.rawValue)]),
                                       after: .object(["status": .string("failed"), "failure_code": .string(Self.noRecordAtProcessor)]), on: transaction)
                try await outcomes.handler(for: failed.purpose)?(failed, transaction)
            }
        }
    }

    /// Refunds part or all of a succeeded card payment at the processor. `refundID` makes the
    /// idempotency key and travels as metadata, so retrying the same refund never refunds
    /// twice and the processor's refund events name it. It is a network call: call it outside
    /// any transaction, after the refund is recorded and committed (the refunds module's
    /// `complete` does, for policy and staff refunds alike), so that no rollback can lose a
    /// refund the processor made. `ledgerTransactionID` is the transaction the refund will be
    /// booked under, sent as `hourglass_txn_id` metadata for reconciliation.
    public func refund(_ payment: Payment, amount: Int64, refundID: UUID, postedAs ledgerTransactionID: UUID) async throws -> GatewayRefund {
        guard let intentID = payment.pspIntentID, payment.status == .succeeded else {
            throw AppError.conflict("only a succeeded card payment can be refunded")
        }
        let id = refundID.uuidString.lowercased()
        return try await callGateway {
            try await gateway.refund(intentID: intentID, amount: amount, idempotencyKey: "refund-\(id)",
                                     metadata: ["refund_id": id, "payment_id": payment.id.uuidString.lowercased(),
                                                "hourglass_txn_id": ledgerTransactionID.uuidString.lowercased()])
        }
    }

    /// The API representation of a payment.
    public func response(_ payment: Payment, status: HTTPStatus) throws -> HTTPResponse {
        try .json(PaymentDTO(payment), status: status)
    }

    /// Processor failures become 502/503 problems, never 500s.
    @discardableResult
    func callGateway<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as GatewayError {
            app.logger.error("card processor call failed", metadata: ["psp.error": "\(error)"])
            if error.code == "unreachable" { throw AppError.unavailable("the card processor is unavailable; retry shortly") }
            throw AppError(status: .badGateway, slug: "payment-provider-error", detail: "the card processor refused the request")
        }
    }
}
