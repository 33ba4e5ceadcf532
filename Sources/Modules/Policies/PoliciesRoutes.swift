import AppKernel
import Documents
import Drivers
import Foundation
import HTTPServer
import Identity
import Logging
import Ledger
import Payments
import Postgres
import Quotes
import Rating
import Refunds
import Vehicles
import Wallet

/// `POST /v1/policies`, `GET /v1/policies`, `GET /v1/policies/{id}`, `POST /v1/policies/{id}/cancel`,
/// `GET /v1/policies/{id}/certificate`.
struct PoliciesRoutes: Sendable {
    let app: AppContext
    let identity: Identity
    let wallet: Wallet
    let endings: PolicyEndings
    var payments: Payments { wallet.payments }
    var refunds: Refunds { Refunds(app: app, wallet: wallet) }
    var store: PoliciesStore { PoliciesStore(database: app.database) }
    var issuance: PolicyIssuance { PolicyIssuance(app: app, refunds: refunds) }
    var lifecycle: PolicyLifecycle { PolicyLifecycle(app: app, wallet: wallet, endings: endings) }

    var endpoints: [Endpoint] {
        let routes = self
        let policy = PoliciesSchemas.policy.ref
        return [
            Endpoint(.post, "/v1/policies", id: "bindQuote", "Bind a quote: PAYG is active at once; a block is paid up front",
                     tag: "policies", access: .driver, body: .json(PoliciesSchemas.bind), bodyLimit: 16 * 1024, idempotent: true,
                     responses: [.json(201, "The policy (a block paying by card may be pending_payment with its payment)", policy),
                                 .problem(404, "No such quote or card of yours"),
                                 .problem(409, "The quote is already bound, or a PAYG policy is already in force"),
                                 .problem(422, "Invalid fields, an expired quote, or not enough in the wallet"),
                                 .problem(502, "The card processor refused the request")],
                     handler: { try await routes.create($0) }),
            Endpoint(.get, "/v1/policies", id: "listPolicies", "The driver's policies, newest first", tag: "policies", access: .driver,
                     query: QueryParameter.pagination, responses: [.json(200, "A page of policies", .page(of: PoliciesSchemas.policy))],
                     handler: { try await routes.list($0) }),
            Endpoint(.get, "/v1/policies/{id}", id: "getPolicy", "One policy", tag: "policies", access: .driver,
                     responses: [.json(200, "The policy", policy)], handler: { try await routes.show($0) }),
            Endpoint(.post, "/v1/policies/{id}/cancel", id: "cancelPolicy",
                     "Cancel: PAYG ends any running session now; a block refunds everything before its start, whole unused hours during",
                     tag: "policies", access: .driver, idempotent: true,
                     responses: [.json(200, "The cancelled policy, with its refund", policy),
                                 .problem(409, "Already cancelled, expired or deactivated"),
                                 .problem(502, "The card processor refused the refund")],
                     handler: { try await routes.cancel($0) }),
            Endpoint(.get, "/v1/policies/{id}/certificate", id: "getCertificate",
                     "The certificate of motor insurance: HTML, or PDF with Accept: application/pdf", tag: "policies", access: .driver,
                     responses: [ResponseSpec(200, "The newest certificate (a cancelled policy's says so)", .media(["text/html", "application/pdf"])),
                                 .problem(409, "No certificate: the block was never paid for")],
                     handler: { try await routes.certificate($0) }),
        ]
    }

    struct BindBody: Decodable {
        let quoteId: UUID?
        let paymentMethodId: UUID?
    }

    /// Binds a quote (idempotent under `Idempotency-Key`). PAYG cover is active at once. An
    /// hourly block is paid up front: from the card named by `payment_method_id` (the policy
    /// stays `pending_payment`, with its `payment`, while SCA is pending), or else from the wallet.
    func create(_ call: Call) async throws -> HTTPResponse {
        let request = call.request, context = call.context
        let now = call.now
        let body = try call.body(BindBody.self)
        guard let quoteID = body.quoteId else { throw AppError.invalid("quote_id is required") }
        // An unknown quote still goes through the idempotency checks (a reused key is 422 first);
        // binding then answers 404.
        let quoted = try await Quotes().quote(quoteID, driverID: call.driverID, on: app.database)
        let scope = "driver:\(call.driverID.uuidString.lowercased())"
        let idempotency = Idempotency(database: app.database)

        if quoted?.product == .hourly, let cardID = body.paymentMethodId {
            guard let card = try await payments.card(cardID, ownedBy: call.driverID) else {
                throw AppError.notFound("no payment method \(cardID.uuidString.lowercased())")
            }
            return try await idempotency.runWithExternalCall(
                scope: scope, request: request, requestID: context.requestID,
                begin: { transaction in
                    let policy = try await bind(quoteID, driverID: call.driverID, now: now, funding: "card", on: transaction)
                    let paymentID = try await payments.createPayment(
                        driverID: call.driverID, purpose: .blockPurchase, amount: policy.totalAmount, card: card,
                        relatedID: policy.id, at: now, on: transaction)
                    try await PoliciesStore(database: transaction).attachPayment(paymentID, to: policy.id)
                    return paymentID
                },
                complete: { paymentID in
                    let payment = try await payments.execute(paymentID: paymentID, offSession: false,
                                                             capturePostedAs: Wallet.captureTransactionID(ofPayment: paymentID))
                    guard let policyID = payment.relatedID, let policy = try await store.find(id: policyID, driverID: call.driverID) else {
                        throw AppError.notFound("the policy for this payment is gone")
                    }
                    return try .json(PolicyDTO(policy, now: now, payment: payment), status: .created)
                })
        }
        return try await idempotency.run(scope: scope, request: request, requestID: context.requestID) { transaction in
            let isHourly = quoted?.product == .hourly
            var policy = try await bind(quoteID, driverID: call.driverID, now: now, funding: isHourly ? "wallet" : nil, on: transaction)
            if isHourly {
                try await wallet.spend(driverID: call.driverID, gross: policy.totalAmount, ipt: PremiumTax.ipt(ofGross: policy.totalAmount),
                                       kind: .blockPurchase, description: "Hourly cover \(policy.number)",
                                       causedBy: "policy:\(policy.id.uuidString.lowercased()):purchase", relatedID: policy.id,
                                       at: now, on: transaction)
                // Paid now: cover runs from the quoted start, or from now if that has passed.
                let (start, end) = PolicyIssuance.period(of: policy, paidAt: now)
                let unpaid = policy
                policy = try await PoliciesStore(database: transaction).markPaid(policy.id, paidAt: now, startsAt: start, endsAt: end)
                try await policy.audit("policies.paid", before: unpaid, on: transaction)
            }
            try await issuance.issueCertificate(for: policy, at: now, on: transaction)
            return try .json(PolicyDTO(policy, now: now), status: .created)
        }
    }

    /// Binds the quote and records the policy (PAYG `active`, hourly `pending_payment` until
    /// paid). A driver has at most one PAYG policy in force: a second is 409 (the unique index
    /// `policies_one_payg_in_force` decides a race between two binds).
    private func bind(_ quoteID: UUID, driverID: UUID, now: Date, funding: String?,
                      on transaction: PostgresConnection) async throws -> Policy {
        let quote = try await Quotes().bind(quoteID: quoteID, driverID: driverID, at: now, on: transaction)
        let isHourly = quote.product == .hourly
        if !isHourly, let existing = try await PoliciesStore(database: transaction).paygInForce(driverID: driverID) {
            throw Self.paygInForce(existing.number)
        }
        // A number is 40 random bits: should one be taken, draw again (in a savepoint, so the
        // failed insert leaves the transaction usable).
        for _ in 0..<5 {
            let policy = Policy(
                id: UUID(), number: Policy.newNumber(), driverId: driverID, vehicleId: quote.vehicleID, quoteId: quote.id,
                product: quote.product.rawValue, usage: quote.usage.rawValue, status: isHourly ? .pendingPayment : .active,
                startsAt: isHourly ? quote.startsAt! : now, endsAt: isHourly ? quote.endsAt : nil,
                hourlyRateAmount: quote.hourlyRateAmount, totalAmount: quote.totalAmount, createdAt: now, funding: funding)
            do {
                try await transaction.withTransaction { savepoint in try await PoliciesStore(database: savepoint).insert(policy) }
                try await policy.audit("policies.bound", on: transaction)
                return policy
            } catch let error as PostgresError where error.isUniqueViolation && error.constraint == "policies_one_payg_in_force" {
                throw Self.paygInForce(nil)
            } catch let error as PostgresError where error.isUniqueViolation && error.constraint == "policies_number_key" {
                continue
            }
        }
        throw AppError.unavailable("could not draw a policy number; retry")
    }

    static func paygInForce(_ number: String?) -> AppError {
        AppError(status: .conflict, slug: "payg-policy-in-force",
                 detail: "you already have a pay-as-you-go policy in force\(number.map { " (\($0))" } ?? ""); cancel it before binding another")
    }

    func list(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let (policies, next) = page.page(try await store.list(driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        let paused = try await wallet.isCoverPaused(call.driverID)
        return try .json(ListResponse(data: policies.map { PolicyDTO($0, now: call.now, coverPaused: paused) }, nextCursor: next))
    }

    func show(_ call: Call) async throws -> HTTPResponse {
        let policy = try await ownedPolicy(call)
        let payment = policy.status == .pendingPayment ? try await policy.paymentID.asyncMap { try await payments.payment($0) } ?? nil : nil
        let refund = policy.refundAmount > 0 ? try await refunds.refund(for: policy.id) : nil
        let paused = try await wallet.isCoverPaused(call.driverID)
        return try .json(PolicyDTO(policy, now: call.now, coverPaused: paused, payment: payment, refund: refund))
    }

    /// Cancels with the refund PRODUCT.md promises, back where the money came from: before the
    /// start, everything; during cover, the whole unused hours; after the end, nothing to cancel.
    /// A card refund is owed in the cancelling transaction and sent to the processor right after;
    /// if the processor is unreachable it stays `pending` and the refunds sweep finishes it.
    func cancel(_ call: Call) async throws -> HTTPResponse {
        let request = call.request, context = call.context
        let id = try context.uuidParameter("id")
        let now = call.now
        return try await Idempotency(database: app.database).runWithExternalCall(
            scope: "driver:\(call.driverID.uuidString.lowercased())", request: request, requestID: context.requestID,
            begin: { transaction in
                try await lifecycle.cancel(id, ownedBy: call.driverID, at: now, on: transaction)
                return id
            },
            complete: { policyID in
                var refund = try await refunds.refund(for: policyID)
                if let pending = refund, pending.state == "pending" {
                    do {
                        try await refunds.complete(pending.id)
                    } catch {
                        context.logger.error("card refund left pending", metadata: ["refund.id": "\(pending.id)", "error": "\(error)"])
                    }
                    refund = try await refunds.refund(for: policyID)
                }
                guard let policy = try await store.find(id: policyID, driverID: call.driverID) else {
                    throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
                }
                return try .json(PolicyDTO(policy, now: now, refund: refund))
            })
    }

    func certificate(_ call: Call) async throws -> HTTPResponse {
        let request = call.request
        let policy = try await ownedPolicy(call)
        // A certificate states cover in force: a block never paid has none to state.
        if policy.product == "hourly", policy.paidAt == nil {
            let why = switch policy.status(at: call.now) {
            case .pendingPayment: "it is waiting for its payment"
            case .expired: "its period ended before it was paid, so it never covered anything"
            default: "it was cancelled before it was paid, so it never covered anything"
            }
            throw AppError(status: .conflict, slug: "no-certificate", detail: "policy \(policy.number) has no certificate: \(why)")
        }
        // HTML unless the client asks for PDF (PRODUCT.md: "PDF welcome on Accept: application/pdf").
        let wantsPDF = request.headers["accept"]?.lowercased().contains("application/pdf") == true
        guard let document = try await Documents(app: app).certificate(for: policy.id, format: wantsPDF ? "application/pdf" : "text/html") else {
            throw AppError(status: .conflict, slug: "no-certificate", detail: "policy \(policy.number) has no certificate yet")
        }
        var response = HTTPResponse(status: .ok, contentType: document.contentType, body: document.body)
        response.headers.add(name: "etag", value: "\"\(document.sha256)\"")
        response.headers.add(name: "cache-control", value: "private, no-cache")
        return response
    }

    private func ownedPolicy(_ call: Call) async throws -> Policy {
        let id = try call.id()
        guard let policy = try await store.find(id: id, driverID: call.driverID) else {
            throw AppError.notFound("no policy \(id.uuidString.lowercased())")
        }
        return policy
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
