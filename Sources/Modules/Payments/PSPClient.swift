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
    /// How long `payoutReport` waits for the processor to make a report before giving up.
    let reportWait: Duration

    /// The report reconciliation reads: Stripe's itemised payout reconciliation report.
    public static let itemisedPayoutReport = "payout_reconciliation.itemized.5"

    public init(baseURL: URL, apiKey: String, reportWait: Duration = .seconds(30)) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.reportWait = reportWait
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 15
        // FoundationNetworking allows 6 connections per host by default, and a request waiting
        // for one runs down its 15 s too. A processor connection dropped while reused is only
        // noticed at that timeout (found by scripts/bench/psp-faults), so with 6 a few drops
        // stalled every charge behind them and hundreds of top-ups answered 503 at once.
        configuration.httpMaximumConnectionsPerHost = 64
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

    public func payoutReport(payoutID: String) async throws -> [UInt8] {
        // Form-encoded, as the real Reporting API takes it. Keyed by the payout: a retry after a
        // timeout picks up the same run, which may have finished meanwhile.
        var form = URLComponents()
        form.queryItems = [URLQueryItem(name: "report_type", value: Self.itemisedPayoutReport),
                           URLQueryItem(name: "parameters[payout]", value: payoutID)]
        var create = try request("POST", "v1/reporting/report_runs", idempotencyKey: "payout-report-\(payoutID)")
        create.httpBody = Data((form.percentEncodedQuery ?? "").utf8)
        create.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        var run = try decode(PSPWire.ReportRun.self, from: try await perform(create), what: "POST report_runs")
        // The processor makes the file asynchronously: poll with backoff, for a bounded time.
        let deadline = ContinuousClock.now + reportWait
        var pause = Duration.milliseconds(250)
        while run.status != "succeeded" {
            guard run.status == "pending", ContinuousClock.now + pause < deadline else {
                throw GatewayError(code: run.status == "pending" ? "report_not_ready" : "report_\(run.status)",
                                   message: "the report of payout \(payoutID) is \(run.status)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
            let polled = try request("GET", "v1/reporting/report_runs/\(run.id)", idempotencyKey: nil)
            run = try decode(PSPWire.ReportRun.self, from: try await perform(polled), what: "GET report_runs")
        }
        guard let location = run.result?.url, let url = URL(string: location), let host = url.host,
              url.scheme == "https" || host == baseURL.host else {
            // The API key goes with the download: only to the processor's own host, or over TLS.
            throw GatewayError(code: "bad_response", message: "the report of payout \(payoutID) has no file we may download")
        }
        var download = URLRequest(url: url)
        download.httpMethod = "GET"
        download.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        return Array(try await perform(download))
    }

    private func send<Body: Encodable, Response: Decodable>(_ method: String, _ path: String, body: Body?, idempotencyKey: String?,
                                                            as _: Response.Type) async throws -> Response {
        var request = try request(method, path, idempotencyKey: idempotencyKey)
        if let body {
            request.httpBody = try PSPWire.encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try decode(Response.self, from: try await perform(request), what: "\(method) \(path)")
    }

    private func request(_ method: String, _ path: String, idempotencyKey: String?) throws -> URLRequest {
        // `path` may carry a query string, which appendingPathComponent would escape.
        guard let url = URL(string: baseURL.absoluteString.trimmingSuffix("/") + "/" + path) else {
            throw GatewayError(code: "bad_request", message: "cannot build the URL for \(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        if let idempotencyKey { request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key") }
        return request
    }

    /// The answer's body; a network failure or a non-2xx answer is a `GatewayError`.
    private func perform(_ request: URLRequest) async throws -> Data {
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
        return data
    }

    private func decode<Response: Decodable>(_ type: Response.Type, from data: Data, what: String) throws -> Response {
        do {
            return try PSPWire.decode(type, from: data)
        } catch {
            throw GatewayError(code: "bad_response", message: "the processor's answer to \(what) is incomplete")
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
