public import Foundation

/// A saved card at the card processor.
public struct GatewayCard: Sendable, Equatable {
    public let id: String
    public let brand: String
    public let last4: String
}

/// A PaymentIntent as the card processor reports it.
public struct GatewayIntent: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case succeeded, requiresAction = "requires_action", failed, processing }
    public let id: String
    public let status: Status
    public let failureCode: String?
    /// Where the customer authenticates (SCA) when `status` is `requiresAction`.
    public let redirectURL: String?
    /// What we attached when creating it (`payment_id`: our payment's id; `hourglass_txn_id`:
    /// the ledger transaction its capture is posted under).
    public let metadata: [String: String]
    /// The charge (`ch_…`) of a succeeded intent (the processor's `latest_charge`): the id its
    /// settlement report names. Nil before it succeeded, or when the processor did not say.
    public let chargeID: String?

    public init(id: String, status: Status, failureCode: String?, redirectURL: String?, metadata: [String: String] = [:],
                chargeID: String? = nil) {
        self.id = id
        self.status = status
        self.failureCode = failureCode
        self.redirectURL = redirectURL
        self.metadata = metadata
        self.chargeID = chargeID
    }
}

/// A refund as the card processor reports it.
public struct GatewayRefund: Sendable, Equatable {
    public let id: String
    public let intentID: String
    public let amount: Int64
    /// `succeeded`, `pending` or `failed`.
    public let status: String
    /// What we attached (`refund_id`: our refund's id).
    public let metadata: [String: String]
}

/// A failure talking to the card processor (unreachable, 5xx, or a refused request).
public struct GatewayError: Error, CustomStringConvertible {
    public let code: String
    public let message: String
    public var description: String { "card processor error \(code): \(message)" }

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// The card processor behind one protocol (PRODUCT.md "Payments"): the HTTP client for the
/// real API, which in sandbox mode talks to the sandbox PSP over loopback. Every call that
/// changes anything carries an idempotency key so a retried call never charges twice.
public protocol PaymentGateway: Sendable {
    func saveCard(token: String, idempotencyKey: String) async throws -> GatewayCard
    func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                metadata: [String: String]) async throws -> GatewayIntent
    func intent(id: String) async throws -> GatewayIntent
    /// The intent created for our payment `paymentID` (found by the metadata we attach to every
    /// intent), or nil when the processor never received the charge.
    func intent(forPayment paymentID: String) async throws -> GatewayIntent?
    func refund(intentID: String, amount: Int64, idempotencyKey: String, metadata: [String: String]) async throws -> GatewayRefund
    /// The itemised reconciliation report (CSV bytes, as the processor writes it) of payout
    /// `payoutID`: the processor makes it asynchronously, so this waits for it a bounded time
    /// and throws a `GatewayError` when it is not ready (the caller retries later).
    func payoutReport(payoutID: String) async throws -> [UInt8]
}
