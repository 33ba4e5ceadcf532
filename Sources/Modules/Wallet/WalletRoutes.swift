import AppKernel
import Foundation
import HTTPServer
import Identity
import Payments

/// `GET /v1/wallet`, `PATCH /v1/wallet`, `POST /v1/wallet/top-ups`.
struct WalletRoutes: Sendable {
    let wallet: Wallet
    let identity: Identity
    var app: AppContext { wallet.app }

    struct WalletDTO: Encodable {
        let balanceAmount: Int64
        let promoBalanceAmount: Int64
        let currency = "GBP"
        let autoTopUp: AutoTopUp
    }

    func show(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        return try await render(caller.driverID)
    }

    struct PatchBody: Decodable {
        struct Settings: Decodable {
            let enabled: Bool?
            let thresholdAmount: Int64?
            let amount: Int64?
        }
        let autoTopUp: Settings?
    }

    func update(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let body = try JSON.decode(PatchBody.self, from: request)
        var validation = Validation()
        guard let patch = validation.required(body.autoTopUp, "auto_top_up") else { try validation.check(); return HTTPResponse(status: .badRequest) }
        var settings = try await wallet.settings(of: caller.driverID)
        if let enabled = patch.enabled { settings.enabled = enabled }
        if let threshold = patch.thresholdAmount {
            settings.thresholdAmount = validation.integer(threshold, "auto_top_up.threshold_amount", in: 0...50_000) ?? settings.thresholdAmount
        }
        if let amount = patch.amount {
            settings.amount = validation.integer(amount, "auto_top_up.amount", in: Wallet.minimumTopUp...Wallet.maximumTopUp) ?? settings.amount
        }
        try validation.check()
        try await WalletStore(database: app.database).save(settings, driverID: caller.driverID)
        return try await render(caller.driverID)
    }

    struct TopUpBody: Decodable {
        let amount: Int64?
        let paymentMethodId: UUID?
    }

    /// A card top-up. A declined card is a 201 payment with status `failed`, not an error;
    /// a card needing SCA gives `requires_action` with the page to send the driver to.
    func topUp(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let body = try JSON.decode(TopUpBody.self, from: request)
        var validation = Validation()
        let amount = validation.integer(body.amount, "amount", in: Wallet.minimumTopUp...Wallet.maximumTopUp)
        let cardID = validation.required(body.paymentMethodId, "payment_method_id")
        try validation.check()
        guard let amount, let cardID else { throw AppError.invalid("invalid top-up") }
        guard let card = try await wallet.payments.card(cardID, ownedBy: caller.driverID) else {
            throw AppError.notFound("no payment method \(cardID.uuidString.lowercased())")
        }
        return try await Idempotency(database: app.database).runWithExternalCall(
            scope: "driver:\(caller.driverID.uuidString.lowercased())", request: request, requestID: context.requestID,
            begin: { transaction in
                try await wallet.payments.createPayment(driverID: caller.driverID, purpose: .topUp, amount: amount, card: card,
                                                        relatedID: nil, at: caller.context.now, on: transaction)
            },
            complete: { paymentID in
                let payment = try await wallet.payments.execute(paymentID: paymentID, offSession: false)
                return try wallet.payments.response(payment, status: .created)
            })
    }

    private func render(_ driverID: UUID) async throws -> HTTPResponse {
        let (cash, promo) = try await wallet.balances(of: driverID)
        return try .json(WalletDTO(balanceAmount: cash, promoBalanceAmount: promo, autoTopUp: try await wallet.settings(of: driverID)))
    }
}
