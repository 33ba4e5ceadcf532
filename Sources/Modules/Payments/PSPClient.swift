public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP client for the card processor's PaymentIntents-style API (FoundationNetworking, not
/// SwiftNIO). Requests time out after 15 s; a network failure or 5xx is a `GatewayError`,
/// safe to retry because every request that changes anything carries an `Idempotency-Key`.
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
        let card = try await send("POST", "v1/payment_methods", body: PSPWire.PaymentMethodRequest(token: token),
                                  idempotencyKey: idempotencyKey, as: PSPWire.PaymentMethod.self)
        return GatewayCard(id: card.id, brand: card.brand, last4: card.last4)
    }

    public func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                       metadata: [String: String]) async throws -> GatewayIntent {
        let request = PSPWire.IntentRequest(amount: amount, currency: currency.lowercased(), paymentMethod: card,
                                            offSession: offSession, metadata: metadata)
        return try await send("POST", "v1/payment_intents", body: request, idempotencyKey: idempotencyKey,
                              as: PSPWire.Intent.self).gatewayIntent
    }

    public func intent(id: String) async throws -> GatewayIntent {
        try await send("GET", "v1/payment_intents/\(id)", body: Optional<PSPWire.PaymentMethodRequest>.none, idempotencyKey: nil,
                       as: PSPWire.Intent.self).gatewayIntent
    }

    public func intent(forPayment paymentID: String) async throws -> GatewayIntent? {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "query", value: "metadata['payment_id']:'\(paymentID)'")]
        let query = components.percentEncodedQuery ?? ""
        let result = try await send("GET", "v1/payment_intents/search?\(query)", body: Optional<PSPWire.PaymentMethodRequest>.none,
                                    idempotencyKey: nil, as: PSPWire.SearchResult<PSPWire.Intent>.self)
        return result.data.first?.gatewayIntent
    }

    public func refund(intentID: String, amount: Int64, idempotencyKey: String, metadata: [String: String]) async throws -> GatewayRefund {
        try await send("POST", "v1/refunds", body: PSPWire.RefundRequest(paymentIntent: intentID, amount: amount, metadata: metadata),
                       idempotencyKey: idempotencyKey, as: PSPWire.Refund.self).gatewayRefund
    }

    private func send<Body: Encodable, Response: Decodable>(_ method: String, _ path: String, body: Body?, idempotencyKey: String?,
                                                            as _: Response.Type) async throws -> Response {
        // `path` may carry a query string, which appendingPathComponent would escape.
        guard let url = URL(string: baseURL.absoluteString.trimmingSuffix("/") + "/" + path) else {
            throw GatewayError(code: "bad_request", message: "cannot build the URL for \(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        if let idempotencyKey { request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key") }
        if let body {
            request.httpBody = try PSPWire.encode(body)
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
        guard (200..<300).contains(status) else {
            let error = (try? PSPWire.decode(PSPWire.ErrorBody.self, from: data))?.error
            throw GatewayError(code: error?.code ?? "http_\(status)", message: error?.message ?? "HTTP \(status)")
        }
        do {
            return try PSPWire.decode(Response.self, from: data)
        } catch {
            throw GatewayError(code: "bad_response", message: "the processor's answer to \(method) \(path) is incomplete")
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
