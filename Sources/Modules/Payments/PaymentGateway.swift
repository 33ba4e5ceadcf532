import Foundation

/// A saved card at the card processor.
public struct GatewayCard: Sendable, Equatable {
    public let id: String
    public let brand: String
    public let last4: String
}

/// A PaymentIntent as the card processor reports it.
public struct GatewayIntent: Sendable, Equatable {
    public enum Status: String, Sendable { case succeeded, requiresAction = "requires_action", failed, processing }
    public let id: String
    public let status: Status
    public let failureCode: String?
    /// Where the customer authenticates (SCA) when `status` is `requiresAction`.
    public let redirectURL: String?
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
/// real API, which in sandbox mode talks to the sandbox PSP over loopback. Every call carries
/// an idempotency key so a retried call never charges twice.
public protocol PaymentGateway: Sendable {
    func saveCard(token: String, idempotencyKey: String) async throws -> GatewayCard
    func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                metadata: [String: String]) async throws -> GatewayIntent
    func intent(id: String) async throws -> GatewayIntent
    func refund(intentID: String, amount: Int64, idempotencyKey: String) async throws
}
