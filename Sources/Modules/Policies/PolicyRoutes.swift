import AppKernel
import Documents
import Drivers
import Foundation
import HTTPServer
import Identity
import Postgres
import Quotes
import Vehicles

/// `POST /v1/policies`, `GET /v1/policies`, `GET /v1/policies/{id}`, `POST /v1/policies/{id}/cancel`,
/// `GET /v1/policies/{id}/certificate`.
struct PolicyRoutes: Sendable {
    let app: AppContext
    let identity: Identity
    var store: PolicyStore { PolicyStore(database: app.database) }

    struct BindBody: Decodable {
        let quoteId: UUID?
        let paymentMethodId: UUID?
    }

    /// Binds a quote. Idempotent under `Idempotency-Key`: the policy, its certificate, the
    /// quote's binding and the stored response commit together.
    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let now = caller.context.now
        let body = try JSON.decode(BindBody.self, from: request)
        var validation = Validation()
        let quoteID = validation.required(body.quoteId, "quote_id")
        try validation.check()
        guard let quoteID else { throw AppError.invalid("quote_id is required") }
        guard let driver = try await Drivers(app: app).profile(caller.driverID) else {
            throw AppError.notFound("no driver profile for this account")
        }
        return try await Idempotency(database: app.database).run(
            scope: "driver:\(caller.driverID.uuidString.lowercased())", request: request, requestID: context.requestID
        ) { transaction in
            let quote = try await Quotes().bind(quoteID: quoteID, driverID: caller.driverID, at: now, on: transaction)
            guard let vehicle = try await Vehicles(app: app).vehicle(quote.vehicleID, ownedBy: caller.driverID) else {
                throw AppError.notFound("the quoted vehicle no longer exists")
            }
            // PAYG cover stands from now; an hourly block waits for payment (taken by the payments
            // module, issue #5) and covers exactly its quoted hours.
            let isHourly = quote.product == .hourly
            let policy = Policy(
                id: UUID(), number: Policy.newNumber(), driverId: caller.driverID, vehicleId: vehicle.id, quoteId: quote.id,
                product: quote.product.rawValue, usage: quote.usage.rawValue, status: isHourly ? .pendingPayment : .active,
                startsAt: isHourly ? quote.startsAt! : now, endsAt: isHourly ? quote.endsAt : nil,
                hourlyRateAmount: quote.hourlyRateAmount, totalAmount: quote.totalAmount, createdAt: now)
            try await PolicyStore(database: transaction).insert(policy)
            try await Documents(app: app).issueCertificate(for: policy.id, CertificateDetails(
                policyNumber: policy.number, insuredName: driver.fullName, licenceNumber: driver.licenceNumber,
                vehicleRegistration: vehicle.registration, vehicleDescription: "\(vehicle.year) \(vehicle.make) \(vehicle.model)",
                product: policy.product, usage: policy.usage, periodStart: policy.startsAt, periodEnd: policy.endsAt,
                issuedAt: now), on: transaction)
            return try .json(policy, status: .created)
        }
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let page = try PageRequest(query: request.query)
        let (policies, next) = page.page(try await store.list(driverID: caller.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: policies, nextCursor: next))
    }

    func show(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        return try .json(try await ownedPolicy(context, caller))
    }

    /// Cancels a policy. Nothing has been paid for a PAYG policy up front or for a block still
    /// awaiting payment, so nothing is refunded here; paid blocks' refunds come with payments.
    func cancel(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let id = try context.uuidParameter("id")
        return try await Idempotency(database: app.database).run(
            scope: "driver:\(caller.driverID.uuidString.lowercased())", request: request, requestID: context.requestID
        ) { transaction in
            let store = PolicyStore(database: transaction)
            guard let policy = try await store.find(id: id, driverID: caller.driverID, forUpdate: true) else {
                throw AppError.notFound("no policy \(id.uuidString.lowercased())")
            }
            switch policy.status {
            case .active, .pendingPayment, .paused:
                return try .json(try await store.cancel(id: id, at: caller.context.now))
            case .scheduled:
                throw AppError(status: .conflict, slug: "refund-unavailable",
                               detail: "paid hourly blocks are cancelled with a refund, which needs the payments module")
            case .cancelled, .expired, .deactivated:
                throw AppError(status: .conflict, slug: "policy-not-cancellable", detail: "the policy is already \(policy.status.rawValue)")
            }
        }
    }

    func certificate(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let policy = try await ownedPolicy(context, caller)
        guard let document = try await Documents(app: app).certificate(for: policy.id) else {
            throw AppError.notFound("no certificate for policy \(policy.number)")
        }
        var response = HTTPResponse(status: .ok, contentType: document.contentType, body: document.body)
        response.headers.add(name: "etag", value: "\"\(document.sha256)\"")
        response.headers.add(name: "cache-control", value: "private, no-cache")
        return response
    }

    private func ownedPolicy(_ context: RequestContext, _ caller: AuthenticatedRequest) async throws -> Policy {
        let id = try context.uuidParameter("id")
        guard let policy = try await store.find(id: id, driverID: caller.driverID) else {
            throw AppError.notFound("no policy \(id.uuidString.lowercased())")
        }
        return policy
    }
}
