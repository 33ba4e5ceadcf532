import AppKernel
import Foundation
import HTTPServer
import Identity
import Logging
import Postgres
import Audit

/// Cards, payments, and the processor's webhooks.
struct PaymentsRoutes: Sendable {
    let payments: Payments
    let identity: Identity
    var app: AppContext { payments.app }
    var store: PaymentsStore { PaymentsStore(database: app.database) }

    struct CardBody: Decodable { let token: String? }

    var endpoints: [Endpoint] {
        let routes = self
        let payment = PaymentsSchemas.payment.ref
        return [
            Endpoint(.post, "/v1/payment-methods", id: "addCard", "Save a card from the processor's token (the first is the default)",
                     tag: "payments", access: .driver, body: .json(PaymentsSchemas.newCard), bodyLimit: 16 * 1024,
                     responses: [.json(201, "The saved card", PaymentsSchemas.paymentMethod.ref),
                                 .problem(502, "The card processor refused the request")],
                     handler: { try await routes.addCard($0) }),
            Endpoint(.get, "/v1/payment-methods", id: "listCards", "The driver's saved cards, newest first", tag: "payments",
                     access: .driver, query: QueryParameter.pagination,
                     responses: [.json(200, "A page of cards", .page(of: PaymentsSchemas.paymentMethod))],
                     handler: { try await routes.listCards($0) }),
            Endpoint(.get, "/v1/payments/{id}", id: "getPayment", "One payment", tag: "payments", access: .driver,
                     responses: [.json(200, "The payment", payment)], handler: { try await routes.show($0) }),
            Endpoint(.post, "/v1/payments/{id}/confirm", id: "confirmPayment",
                     "After the driver authenticated at next_action.redirect_url: the payment in its final state", tag: "payments",
                     access: .driver, responses: [.json(200, "The payment", payment), .problem(502, "The card processor refused the request")],
                     handler: { try await routes.confirm($0) }),
            Endpoint(.post, "/v1/webhooks/psp", id: "processorWebhook",
                     "Signed card processor events: payments, refunds, payouts (PSP-Signature over the raw body)", tag: "payments",
                     access: .cardProcessor, body: .json(PaymentsSchemas.event), bodyLimit: 256 * 1024,
                     responses: [.json(200, "Recorded and applied (or a replay)", PaymentsSchemas.receipt),
                                 .problem(503, "Not applied now: nothing was recorded, deliver it again")],
                     handler: { try await routes.webhook($0) }),
        ]
    }

    func addCard(_ call: Call) async throws -> HTTPResponse {
        let body = try call.body(CardBody.self)
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
        let method = try await app.database.withTransaction { transaction in
            let method = try await PaymentsStore(database: transaction).insertCard(id: UUID(), driverID: call.driverID, card: card, at: call.now)
            try await Audit.record("payments.card_added", AuditObject("card", method.id, driver: call.driverID),
                                   after: .object(["brand": .string(card.brand), "last4": .string(card.last4)]), on: transaction)
            return method
        }
        return try .json(method, status: .created)
    }

    func listCards(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let (cards, next) = page.page(try await store.cards(driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: cards, nextCursor: next))
    }

    func show(_ call: Call) async throws -> HTTPResponse {
        return try payments.response(try await ownedPayment(call), status: .ok)
    }

    /// After the driver authenticated at `next_action.redirect_url`: the payment in its final state.
    func confirm(_ call: Call) async throws -> HTTPResponse {
        let payment = try await payments.refresh(try await ownedPayment(call))
        return try payments.response(payment, status: .ok)
    }

    /// Signed processor events, verified on the raw body. Recording an event and applying it
    /// are one transaction: if applying fails, nothing is recorded and the answer is 503, so
    /// the processor delivers it again. A replayed event is acknowledged and ignored. A payment
    /// event is matched by the intent id we recorded or, failing that, by the `payment_id`
    /// metadata we attach (the process may have died before recording the intent).
    func webhook(_ call: Call) async throws -> HTTPResponse {
        let request = call.request, context = call.context
        let body = Data(request.body)
        guard let header = try? PSPWire.decode(PSPWire.EventHeader.self, from: body) else {
            throw AppError.badRequest("the event is not one this endpoint understands")
        }
        let apply: (PostgresConnection) async throws -> Void
        do {
            apply = try applier(for: header.type, body: body)
        } catch {
            throw AppError.badRequest("the \(header.type) event's object is incomplete")
        }
        struct Receipt: Encodable {
            let received = true
            let duplicate: Bool
        }
        do {
            let fresh = try await app.database.withTransaction { transaction in
                guard try await PaymentsStore(database: transaction).recordEvent(id: header.id, type: header.type) else { return false }
                try await apply(transaction)
                return true
            }
            return try .json(Receipt(duplicate: !fresh))
        } catch let error as any ResponseError where error.status.code < 500 {
            throw error
        } catch {
            context.logger.error("PSP webhook not applied; the processor will retry",
                                 metadata: ["psp.event": "\(header.id)", "psp.event_type": "\(header.type)", "error": "\(error)"])
            throw AppError.unavailable("the event could not be applied now; deliver it again")
        }
    }

    /// What applying an event of `type` does, inside the transaction that records it.
    private func applier(for type: String, body: Data) throws -> (PostgresConnection) async throws -> Void {
        let payments = payments
        if type.hasPrefix("payment_intent.") {
            let intent = try PSPWire.decode(PSPWire.Event<PSPWire.Intent>.self, from: body).data.object.gatewayIntent
            return { transaction in
                // Not one of ours (another integration on the same account): acknowledged, nothing to do.
                guard let paymentID = try await PaymentsStore(database: transaction)
                    .paymentID(forIntent: intent.id, metadataPaymentID: intent.metadata["payment_id"]) else { return }
                _ = try await payments.settle(paymentID: paymentID, with: intent, on: transaction)
            }
        }
        if type.hasPrefix("refund.") || type == "charge.refunded" {
            let refund = try PSPWire.decode(PSPWire.Event<PSPWire.Refund>.self, from: body).data.object.gatewayRefund
            return { transaction in
                for handler in payments.outcomes.refunds { try await handler(refund, transaction) }
            }
        }
        if type.hasPrefix("payout.") {
            let payout = try PSPWire.decode(PSPWire.Event<PSPWire.Payout>.self, from: body).data.object
            return { transaction in
                let recorded = try await PaymentsStore(database: transaction).upsertPayout(payout, eventType: type)
                // Money reached our bank: whoever settles it (reconciliation) hears it in this
                // transaction, so the event is never recorded without what it set off.
                if type == "payout.paid" {
                    for handler in payments.outcomes.payouts { try await handler(recorded, transaction) }
                }
            }
        }
        return { _ in }  // a type we do not act on: recorded so a replay stays a no-op
    }

    private func ownedPayment(_ call: Call) async throws -> Payment {
        let id = try call.id()
        guard let payment = try await store.payment(id: id, driverID: call.driverID) else {
            throw AppError.notFound("no payment \(id.uuidString.lowercased())")
        }
        return payment
    }
}
