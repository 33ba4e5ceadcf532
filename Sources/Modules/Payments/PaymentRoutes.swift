import AppKernel
import Foundation
import HTTPServer
import Identity
import Logging
import Postgres

/// Cards, payments, and the processor's webhooks.
struct PaymentRoutes: Sendable {
    let payments: Payments
    let identity: Identity
    let webhookSecret: String
    var app: AppContext { payments.app }
    var store: PaymentStore { PaymentStore(database: app.database) }

    struct CardBody: Decodable { let token: String? }

    func addCard(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let body = try JSON.decode(CardBody.self, from: request)
        var validation = Validation()
        let token = validation.text(body.token, "token", maxLength: 200)
        try validation.check()
        guard let token else { throw AppError.invalid("token is required") }
        let card: GatewayCard
        do {
            card = try await payments.gateway.saveCard(token: token, idempotencyKey: "card-\(UUID().uuidString.lowercased())")
        } catch let error as GatewayError where error.code == "invalid_token" {
            throw AppError.invalid("the card token was not accepted", fields: [FieldError(field: "token", message: "is not a valid card token")])
        } catch let error as GatewayError {
            throw error.code == "unreachable" ? AppError.unavailable("the card processor is unavailable; retry shortly")
                : AppError(status: .badGateway, slug: "payment-provider-error", detail: "the card processor refused the request")
        }
        let method = try await store.insertCard(id: UUID(), driverID: caller.driverID, card: card, at: caller.context.now)
        return try .json(method, status: .created)
    }

    func listCards(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        return try .json(ListResponse(data: try await store.cards(driverID: caller.driverID), nextCursor: nil))
    }

    func show(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        return try payments.response(try await ownedPayment(context, caller), status: .ok)
    }

    /// After the driver authenticated at `next_action.redirect_url`: the payment in its final state.
    func confirm(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let payment = try await payments.refresh(try await ownedPayment(context, caller))
        return try payments.response(payment, status: .ok)
    }

    /// Signed processor events, verified on the raw body. A replayed event is acknowledged and
    /// ignored; events for unknown payments are acknowledged so the processor stops retrying.
    func webhook(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        do {
            try WebhookSignature.verify(header: request.headers["psp-signature"], body: request.body, secret: webhookSecret)
        } catch {
            context.logger.warning("rejected PSP webhook", metadata: ["reason": "\(error)"])
            throw AppError.unauthorized("the webhook signature is missing, wrong or stale")
        }
        guard let event = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any],
              let id = event["id"] as? String, let type = event["type"] as? String,
              let object = (event["data"] as? [String: Any])?["object"] as? [String: Any]
        else { throw AppError.badRequest("the event is not one this endpoint understands") }
        guard try await store.recordEvent(id: id, type: type) else {
            return try .json(["received": true, "duplicate": true])
        }
        if type.hasPrefix("payment_intent."), let intentID = object["id"] as? String,
           let paymentID = try await store.paymentID(forIntent: intentID),
           let payment = try await store.payment(id: paymentID) {
            _ = try await payments.settle(paymentID: payment.id, with: try PSPClient.intent(from: object))
        }
        return try .json(["received": true])
    }

    private func ownedPayment(_ context: RequestContext, _ caller: AuthenticatedRequest) async throws -> Payment {
        let id = try context.uuidParameter("id")
        guard let payment = try await store.payment(id: id, driverID: caller.driverID) else {
            throw AppError.notFound("no payment \(id.uuidString.lowercased())")
        }
        return payment
    }
}
