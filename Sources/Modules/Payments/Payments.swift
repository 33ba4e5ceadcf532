public import AppKernel
public import Foundation
public import HTTPServer
public import Postgres
import Synchronization
import Logging

/// What other modules do when one of their payments reaches a final state (a top-up credits
/// the wallet, a block purchase activates the policy). Called inside the transaction that
/// records the outcome, exactly once per payment.
public final class PaymentOutcomes: Sendable {
    public typealias Handler = @Sendable (Payment, PostgresConnection) async throws -> Void
    private let handlers = Mutex<[PaymentPurpose: Handler]>([:])

    public init() {}

    public func register(_ purpose: PaymentPurpose, _ handler: @escaping Handler) {
        handlers.withLock { $0[purpose] = handler }
    }

    func handler(for purpose: PaymentPurpose) -> Handler? { handlers.withLock { $0[purpose] } }
}

/// The payments module's public API: cards, charges (with SCA), refunds.
public struct Payments: Sendable {
    let app: AppContext
    let gateway: any PaymentGateway
    let outcomes: PaymentOutcomes

    public init(app: AppContext, gateway: any PaymentGateway, outcomes: PaymentOutcomes) {
        self.app = app
        self.gateway = gateway
        self.outcomes = outcomes
    }

    public func card(_ id: UUID, ownedBy driverID: UUID) async throws -> PaymentMethod? {
        try await PaymentStore(database: app.database).card(id: id, driverID: driverID)
    }

    public func defaultCard(of driverID: UUID) async throws -> PaymentMethod? {
        try await PaymentStore(database: app.database).defaultCard(driverID: driverID)
    }

    public func payment(_ id: UUID) async throws -> Payment? {
        try await PaymentStore(database: app.database).payment(id: id)
    }

    /// A payment of this purpose created in the last 10 minutes that has not ended yet.
    public func hasPaymentInProgress(driverID: UUID, purpose: PaymentPurpose, on database: any PostgresQueryable) async throws -> Bool {
        try await PaymentStore(database: database).inProgress(driverID: driverID, purpose: purpose)
    }

    /// Records a new payment (status `processing`) inside the caller's transaction.
    public func createPayment(id: UUID = UUID(), driverID: UUID, purpose: PaymentPurpose, amount: Int64, card: PaymentMethod,
                              relatedID: UUID?, at instant: Date, on transaction: PostgresConnection) async throws -> UUID {
        try await PaymentStore(database: transaction).insertPayment(
            id: id, driverID: driverID, purpose: purpose, amount: amount, paymentMethodID: card.id, relatedID: relatedID, at: instant)
        return id
    }

    /// Charges the card at the processor and records the outcome. Safe to call again for the
    /// same payment: the processor call is keyed by the payment id, and settling is once-only.
    public func execute(paymentID: UUID, offSession: Bool) async throws -> Payment {
        let store = PaymentStore(database: app.database)
        guard let payment = try await store.payment(id: paymentID) else { throw AppError.notFound("no payment \(paymentID)") }
        if payment.status.isFinal || payment.pspIntentID != nil { return try await refresh(payment) }
        let cards = try await store.cards(driverID: payment.driverID)
        guard let card = cards.first(where: { $0.id == payment.paymentMethodID }) else { throw AppError.notFound("the card was removed") }
        let intent = try await callGateway {
            try await gateway.charge(amount: payment.amount, currency: payment.currency, card: card.pspID, offSession: offSession,
                                     idempotencyKey: "payment-\(paymentID.uuidString.lowercased())",
                                     metadata: ["payment_id": paymentID.uuidString.lowercased(), "purpose": payment.purpose.rawValue])
        }
        return try await settle(paymentID: paymentID, with: intent)
    }

    /// Reads the payment's intent from the processor and records any change (after SCA).
    public func refresh(_ payment: Payment) async throws -> Payment {
        guard !payment.status.isFinal, let intentID = payment.pspIntentID else { return payment }
        let intent = try await callGateway { try await gateway.intent(id: intentID) }
        return try await settle(paymentID: payment.id, with: intent)
    }

    /// Records the processor's view; on the first move to a final state, runs the purpose's
    /// outcome handler in the same transaction.
    func settle(paymentID: UUID, with intent: GatewayIntent) async throws -> Payment {
        try await app.database.withTransaction { transaction in
            let store = PaymentStore(database: transaction)
            guard let current = try await store.payment(id: paymentID, forUpdate: true) else {
                throw AppError.notFound("no payment \(paymentID)")
            }
            if current.status.isFinal { return current }
            let updated = try await store.record(intent, for: paymentID, at: Date())
            if updated.status.isFinal, let handler = outcomes.handler(for: updated.purpose) {
                try await handler(updated, transaction)
            }
            return updated
        }
    }

    /// Refunds part or all of a succeeded card payment at the processor. `reason` makes the
    /// idempotency key, so retrying the same refund never refunds twice. Call it outside any
    /// transaction: it is a network call.
    public func refund(_ payment: Payment, amount: Int64, reason: String) async throws {
        guard let intentID = payment.pspIntentID, payment.status == .succeeded else {
            throw AppError.conflict("only a succeeded card payment can be refunded")
        }
        try await callGateway {
            try await gateway.refund(intentID: intentID, amount: amount,
                                     idempotencyKey: "refund-\(payment.id.uuidString.lowercased())-\(reason)")
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
