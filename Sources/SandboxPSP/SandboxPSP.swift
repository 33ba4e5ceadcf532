import Cryptography
import Foundation
public import HTTPServer
public import Logging
import Synchronization

/// A card processor for sandbox mode, speaking the same HTTP API as the real one the payments
/// module's client talks to (PaymentIntents style, PRODUCT.md "Payments"), so development,
/// tests and demos run the real client over real HTTP. State lives in memory.
///
/// Test tokens decide the outcome: `tok_visa` succeeds; `tok_sca_required` needs the customer
/// to authenticate on the SCA page (and fails off-session with `authentication_required`);
/// `tok_declined` and `tok_insufficient_funds` save but every charge fails with that code.
///
/// Money moves as it does at the real processor: a succeeded intent has a charge (`ch_…`), and
/// every succeeded charge and refund is a balance transaction (the charge less Stripe UK's
/// standard fee) that the next payout pays out (`SandboxPSP+Payouts.swift`); the Reporting API
/// lists a payout's balance transactions as the itemised reconciliation report
/// (`SandboxPSP+Reports.swift`).
public final class SandboxPSP: HTTPResponder {
    public struct Configuration: Sendable {
        public var apiKey: String
        public var webhookSecret: String
        /// Where signed events go (our `/v1/webhooks/psp`); nil sends none.
        public var webhookURL: String?
        /// This server's own base URL, for the SCA redirect links.
        public var publicBaseURL: String

        public init(apiKey: String, webhookSecret: String, webhookURL: String?, publicBaseURL: String) {
            self.apiKey = apiKey
            self.webhookSecret = webhookSecret
            self.webhookURL = webhookURL
            self.publicBaseURL = publicBaseURL
        }
    }

    let state = Mutex(State())
    let configuration: Mutex<Configuration>
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = Mutex(configuration)
        self.logger = logger
    }

    /// Set once the main server knows its port (in-process mode); nil sends no webhooks.
    public func setWebhookURL(_ url: String?) { configuration.withLock { $0.webhookURL = url } }

    /// For crash drills: while set, a charge is made (the card is debited and the webhook sent)
    /// but the HTTP answer waits until it is cleared, as when our server dies between the
    /// processor's capture and its own commit.
    public func holdChargeAnswers(_ hold: Bool) { holdingAnswers.withLock { $0 = hold } }
    private let holdingAnswers = Mutex(false)

    /// For crash drills: webhooks leave this long after the event (the server can die first).
    public func delayWebhooks(by delay: Duration) { webhookDelay.withLock { $0 = delay } }
    let webhookDelay = Mutex<Duration>(.zero)

    /// Sends events through `transport` instead of POSTing them to the webhook URL (nil: POST).
    public func setWebhookTransport(_ transport: WebhookTransport?) { webhookTransport.withLock { $0 = transport } }
    let webhookTransport = Mutex<WebhookTransport?>(nil)

    /// For tests of a processor outage: while set, every API call is answered 503 and changes
    /// nothing (webhooks already on their way still arrive).
    public func simulateOutage(_ down: Bool) { outage.withLock { $0 = down } }
    private let outage = Mutex(false)
    let reportDelay = Mutex(0)
    let faultState = Mutex(FaultState())

    /// For tests of refunds: while set, a refund is made (the charge's refunded amount goes up,
    /// the webhook is sent) but the HTTP answer waits until it is cleared.
    public func holdRefundAnswers(_ hold: Bool) { holdingRefundAnswers.withLock { $0 = hold } }
    private let holdingRefundAnswers = Mutex(false)

    /// For tests of refunds: while set, a refund is made (and kept under its idempotency key, and
    /// its webhook sent) but the answer is lost: the caller gets a 504, as when the connection
    /// drops after the processor acted.
    public func loseRefundAnswers(_ lose: Bool) { losingRefundAnswers.withLock { $0 = lose } }
    private let losingRefundAnswers = Mutex(false)

    /// For tests of refunds: while set, new refunds are accepted as `pending` (the amount is set
    /// aside; no webhook) until `settleRefund` reports their outcome.
    public func answerRefundsPending(_ pending: Bool) { pendingRefunds.withLock { $0 = pending } }
    private let pendingRefunds = Mutex(false)

    /// A refund's outcome, reported later by webhook as the real processor does: a pending one
    /// succeeds or fails (`refund.updated`, `refund.failed`), and a succeeded one can still fail
    /// (the card was closed). A failed refund gives its amount back to the charge. False when
    /// there is no such refund or it failed already.
    @discardableResult
    public func settleRefund(_ id: String, succeeded: Bool) -> Bool {
        let settled = state.withLock { state -> Refund? in
            guard var refund = state.refunds[id], refund.status != "failed", !(succeeded && refund.status == "succeeded") else { return nil }
            refund.status = succeeded ? "succeeded" : "failed"
            state.refunds[id] = refund
            if succeeded {
                state.recordRefund(refund, at: Date())
            } else {
                state.intents[refund.intentID]?.refunded -= refund.amount
                state.forgetRefund(id)
            }
            return refund
        }
        guard let settled else { return false }
        deliver(type: succeeded ? "refund.updated" : "refund.failed", object: render(settled))
        return true
    }

    /// How many payment intents exist, and how many succeeded (for drills and tests).
    public var intentCounts: (all: Int, succeeded: Int) {
        state.withLock { state in (state.intents.count, state.intents.values.filter { $0.status == "succeeded" }.count) }
    }
    public func setPublicBaseURL(_ url: String) { configuration.withLock { $0.publicBaseURL = url } }

    /// Where the API itself is reached (`http://127.0.0.1:<port>`), for the report files' URLs;
    /// until set, they are on the host the request named.
    public func setAPIBaseURL(_ url: String) { apiBaseURL.withLock { $0 = url } }
    let apiBaseURL = Mutex<String?>(nil)

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        if segments.first == "sca", segments.count == 2 {
            return request.method == .post ? authenticate(intentID: segments[1], form: request.body) : scaPage(intentID: segments[1])
        }
        let apiKey = configuration.withLock { $0.apiKey }
        guard let header = request.headers["authorization"], Digest.constantTimeEquals(Array(header.utf8), Array("Bearer \(apiKey)".utf8)) else {
            return Self.error(401, "invalid_api_key", "missing or wrong API key")
        }
        if outage.withLock({ $0 }) { return Self.error(503, "api_unavailable", "the processor is down for the moment") }
        let body = Self.parameters(of: request)
        if segments.count == 3, segments[0] == "v1", segments[1] == "test_helpers" {
            switch (request.method, segments[2]) {
            case (.get, "faults"), (.post, "faults"): return faultsHelper(request, body)
            case (.get, "intents"): return intentsHelper()
            default: break
            }
        }
        let faultable = segments.count >= 2 && ["payment_methods", "payment_intents", "refunds"].contains(segments[1])
        let fault = faultable ? drawFault() : nil
        switch fault?.0 {
        case .latency?: try? await Task.sleep(for: fault!.1.latency)
        case .errorBefore?: return Self.error(500, "api_error", "injected fault: nothing was done")
        case .dropBefore?: return Self.dropped()
        default: break
        }
        var response = await perform(request, segments: segments, body: body)
        switch fault?.0 {
        case .errorAfter?: response = Self.error(500, "api_error", "injected fault: the work was done")
        case .timeout?: try? await Task.sleep(for: fault!.1.timeoutHold)
        case .dropAfter?: response = Self.dropped()
        default: break
        }
        return response
    }

    /// The call itself, under its `Idempotency-Key` (if any): a stored first answer is
    /// returned again, and a second call with a key still being worked on is refused (409)
    /// rather than done twice, as the real API does.
    private func perform(_ request: HTTPRequest, segments: [String], body: [String: Any]) async -> HTTPResponse {
        let idempotencyKey = request.headers["idempotency-key"].map { "\(request.method.rawValue) \(request.path) \($0)" }
        if let idempotencyKey {
            enum Reservation { case stored([UInt8]), busy, reserved }
            let reservation = state.withLock { state -> Reservation in
                if let stored = state.responses[idempotencyKey] { return .stored(stored) }
                return state.keysInFlight.insert(idempotencyKey).inserted ? .reserved : .busy
            }
            switch reservation {
            case .stored(let body): return HTTPResponse(status: .ok, contentType: "application/json", body: body)
            case .busy: return Self.error(409, "idempotency_key_in_use", "a request with this key is still being processed")
            case .reserved: break
            }
        }
        defer { if let idempotencyKey { _ = state.withLock { $0.keysInFlight.remove(idempotencyKey) } } }
        let response: HTTPResponse
        switch (request.method, segments) {
        case (.post, ["v1", "payment_methods"]): response = createPaymentMethod(body)
        case (.post, ["v1", "payment_intents"]): response = createIntent(body)
        case (.get, ["v1", "payment_intents", "search"]): response = searchIntents(query: request.query)
        case (.get, let path) where path.count == 3 && path[1] == "payment_intents": response = retrieveIntent(path[2])
        case (.post, ["v1", "refunds"]): response = createRefund(body)
        case (.post, ["v1", "test_helpers", "payouts"]): response = await payOutNow(body)
        case (.post, ["v1", "reporting", "report_runs"]): response = createReportRun(body, host: request.headers["host"])
        case (.get, let path) where path.count == 4 && path[1] == "reporting" && path[2] == "report_runs":
            response = retrieveReportRun(path[3], host: request.headers["host"])
        case (.get, let path) where path.count == 4 && path[1] == "files" && path[3] == "contents": response = fileContents(path[2])
        default: response = Self.error(404, "resource_missing", "no such endpoint")
        }
        if let idempotencyKey, response.status.code == 200 {
            state.withLock { $0.responses[idempotencyKey] = response.body }
        }
        if request.method == .post, segments == ["v1", "payment_intents"] {
            while holdingAnswers.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
        }
        if request.method == .post, segments == ["v1", "refunds"] {
            while holdingRefundAnswers.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
            if response.status.code == 200, losingRefundAnswers.withLock({ $0 }) {
                return Self.error(504, "timeout", "the answer was lost after the refund was made")
            }
        }
        return response
    }

    // MARK: - API

    private func createPaymentMethod(_ body: [String: Any]) -> HTTPResponse {
        let token = body["token"] as? String ?? ""
        let known: [String: (String, String)] = [
            "tok_visa": ("visa", "4242"), "tok_mastercard": ("mastercard", "4444"), "tok_sca_required": ("visa", "3155"),
            "tok_declined": ("visa", "0002"), "tok_insufficient_funds": ("visa", "9995"),
        ]
        guard let (brand, last4) = known[token] else { return Self.error(400, "invalid_token", "unknown card token") }
        let card = Card(id: Self.newID("pm"), token: token, brand: brand, last4: last4)
        state.withLock { $0.cards[card.id] = card }
        return Self.json(["id": card.id, "object": "payment_method", "brand": brand, "last4": last4])
    }

    private func createIntent(_ body: [String: Any]) -> HTTPResponse {
        guard let amount = (body["amount"] as? NSNumber)?.int64Value, amount > 0,
              let currency = (body["currency"] as? String)?.lowercased(), currency.count == 3,
              let methodID = body["payment_method"] as? String
        else { return Self.error(400, "parameter_invalid", "amount, currency and payment_method are required") }
        guard let card = state.withLock({ $0.cards[methodID] }) else { return Self.error(400, "resource_missing", "no such payment method") }
        let offSession = body["off_session"] as? Bool ?? false
        var intent = Intent(id: Self.newID("pi"), amount: amount, currency: currency, paymentMethod: methodID, status: "succeeded",
                            metadata: body["metadata"] as? [String: String] ?? [:])
        switch card.token {
        case "tok_sca_required":
            if offSession {
                intent.status = "failed"
                intent.failureCode = "authentication_required"
            } else {
                intent.status = "requires_action"
            }
        case "tok_declined":
            intent.status = "failed"
            intent.failureCode = "card_declined"
        case "tok_insufficient_funds":
            intent.status = "failed"
            intent.failureCode = "insufficient_funds"
        default:
            break
        }
        let stored = state.withLock { state in
            state.intents[intent.id] = intent
            state.recordCharge(of: intent.id, at: Date())
            return state.intents[intent.id] ?? intent
        }
        if stored.status != "requires_action" { sendEvent(for: stored) }
        return Self.json(render(stored))
    }

    /// `?query=metadata['payment_id']:'<id>'`: the intents created with that metadata value (the
    /// one search our client makes, in the processor's search query syntax).
    private func searchIntents(query: String?) -> HTTPResponse {
        let text = query?.split(separator: "&").first { $0.hasPrefix("query=") }
            .flatMap { String($0.dropFirst(6)).replacingOccurrences(of: "+", with: " ").removingPercentEncoding } ?? ""
        let pattern = #/^metadata\['([a-z_]+)'\]:'([^']*)'$/#
        guard let match = text.wholeMatch(of: pattern) else {
            return Self.error(400, "parameter_invalid", "query must be metadata['key']:'value'")
        }
        let key = String(match.1), value = String(match.2)
        let found = state.withLock { $0.intents.values.filter { $0.metadata[key] == value } }
        return Self.json(["object": "search_result", "data": found.map(render), "has_more": false])
    }

    private func retrieveIntent(_ id: String) -> HTTPResponse {
        guard let intent = state.withLock({ $0.intents[id] }) else { return Self.error(404, "resource_missing", "no such payment intent") }
        return Self.json(render(intent))
    }

    private func createRefund(_ body: [String: Any]) -> HTTPResponse {
        guard let intentID = body["payment_intent"] as? String, let amount = (body["amount"] as? NSNumber)?.int64Value, amount > 0 else {
            return Self.error(400, "parameter_invalid", "payment_intent and a positive amount are required")
        }
        enum Outcome { case refused(HTTPResponse), refunded(Refund) }
        let status = pendingRefunds.withLock { $0 } ? "pending" : "succeeded"
        let metadata = body["metadata"] as? [String: String] ?? [:]
        let outcome = state.withLock { state -> Outcome in
            guard var intent = state.intents[intentID], intent.status == "succeeded" else {
                return .refused(Self.error(400, "charge_not_refundable", "the payment did not succeed"))
            }
            guard intent.refunded + amount <= intent.amount else {
                return .refused(Self.error(400, "amount_too_large", "refunds would exceed the charge"))
            }
            intent.refunded += amount
            state.intents[intentID] = intent
            let refund = Refund(id: Self.newID("re"), intentID: intent.id, amount: amount, currency: intent.currency, status: status,
                                metadata: metadata)
            state.refunds[refund.id] = refund
            state.recordRefund(refund, at: Date())
            return .refunded(refund)
        }
        switch outcome {
        case .refused(let response):
            return response
        case .refunded(let refund):
            if refund.status == "succeeded" { deliver(type: "refund.succeeded", object: render(refund)) }
            return Self.json(render(refund))
        }
    }

    private func render(_ refund: Refund) -> [String: Any] {
        ["id": refund.id, "object": "refund", "payment_intent": refund.intentID, "amount": refund.amount, "currency": refund.currency,
         "status": refund.status, "metadata": refund.metadata]
    }

    func render(_ intent: Intent) -> [String: Any] {
        var object: [String: Any] = [
            "id": intent.id, "object": "payment_intent", "amount": intent.amount, "currency": intent.currency,
            "status": intent.status, "payment_method": intent.paymentMethod, "metadata": intent.metadata,
            "amount_refunded": intent.refunded, "latest_charge": intent.chargeID ?? NSNull(),
        ]
        object["next_action"] = intent.status == "requires_action"
            ? ["type": "redirect_to_url", "redirect_to_url": ["url": "\(configuration.withLock { $0.publicBaseURL })/sca/\(intent.id)"]]
            : NSNull()
        object["last_payment_error"] = intent.failureCode.map { ["code": $0, "message": Self.message(for: $0)] } ?? NSNull()
        return object
    }
}
