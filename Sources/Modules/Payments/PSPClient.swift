public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP client for the card processor's PaymentIntents-style API (FoundationNetworking, not
/// SwiftNIO). Requests time out after 15 s; a network failure or 5xx is a `GatewayError`,
/// safe to retry because every request carries an `Idempotency-Key`.
public struct PSPClient: PaymentGateway {
    let baseURL: URL
    let apiKey: String
    let session: URLSession

    public init(baseURL: URL, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 15
        session = URLSession(configuration: configuration)
    }

    public func saveCard(token: String, idempotencyKey: String) async throws -> GatewayCard {
        let object = try await send("POST", "v1/payment_methods", ["token": token], idempotencyKey: idempotencyKey)
        guard let id = object["id"] as? String, let brand = object["brand"] as? String, let last4 = object["last4"] as? String else {
            throw GatewayError(code: "bad_response", message: "payment method response is incomplete")
        }
        return GatewayCard(id: id, brand: brand, last4: last4)
    }

    public func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                       metadata: [String: String]) async throws -> GatewayIntent {
        try Self.intent(from: try await send("POST", "v1/payment_intents", [
            "amount": amount, "currency": currency.lowercased(), "payment_method": card, "confirm": true,
            "off_session": offSession, "metadata": metadata,
        ], idempotencyKey: idempotencyKey))
    }

    public func intent(id: String) async throws -> GatewayIntent {
        try Self.intent(from: try await send("GET", "v1/payment_intents/\(id)", nil, idempotencyKey: nil))
    }

    public func refund(intentID: String, amount: Int64, idempotencyKey: String) async throws {
        _ = try await send("POST", "v1/refunds", ["payment_intent": intentID, "amount": amount], idempotencyKey: idempotencyKey)
    }

    static func intent(from object: [String: Any]) throws -> GatewayIntent {
        guard let id = object["id"] as? String, let statusText = object["status"] as? String,
              let status = GatewayIntent.Status(rawValue: statusText)
        else { throw GatewayError(code: "bad_response", message: "payment intent response is incomplete") }
        let nextAction = object["next_action"] as? [String: Any]
        let redirect = (nextAction?["redirect_to_url"] as? [String: Any])?["url"] as? String
        let failure = (object["last_payment_error"] as? [String: Any])?["code"] as? String
        return GatewayIntent(id: id, status: status, failureCode: failure, redirectURL: redirect)
    }

    private func send(_ method: String, _ path: String, _ body: [String: Any]?, idempotencyKey: String?) async throws -> [String: Any] {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.httpMethod = method
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        if let idempotencyKey { request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw GatewayError(code: "unreachable", message: "the card processor did not answer")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            let error = object["error"] as? [String: Any]
            throw GatewayError(code: error?["code"] as? String ?? "http_\(status)", message: error?["message"] as? String ?? "HTTP \(status)")
        }
        return object
    }
}
