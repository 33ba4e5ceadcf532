import AppKernel
import Foundation
import HTTPServer
import Identity
import Payments
import Audit
import Postgres

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

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.get, "/v1/wallet", id: "getWallet", "Balances and automatic top-up", tag: "wallet", access: .driver,
                     responses: [.json(200, "The wallet", WalletSchemas.wallet.ref)], handler: { try await routes.show($0) }),
            Endpoint(.patch, "/v1/wallet", id: "updateWallet", "Change automatic top-up", tag: "wallet", access: .driver,
                     body: .json(WalletSchemas.patch), bodyLimit: 16 * 1024,
                     responses: [.json(200, "The wallet", WalletSchemas.wallet.ref)], handler: { try await routes.update($0) }),
            Endpoint(.post, "/v1/wallet/top-ups", id: "topUp", "Top up by card (a declined card is a 201 payment with status failed)",
                     tag: "wallet", access: .driver, body: .json(WalletSchemas.topUp), bodyLimit: 16 * 1024, idempotent: true,
                     responses: [.json(201, "The payment: succeeded, failed, or requires_action with the page to authenticate at",
                                       PaymentsSchemas.payment.ref),
                                 .problem(404, "No such card of yours"),
                                 .problem(502, "The card processor refused the request")],
                     handler: { try await routes.topUp($0) }),
        ]
    }

    func show(_ call: Call) async throws -> HTTPResponse {
        try await render(call.driverID)
    }

    struct PatchBody: Decodable {
        struct Settings: Decodable {
            let enabled: Bool?
            let thresholdAmount: Int64?
            let amount: Int64?
        }
        let autoTopUp: Settings?
    }

    func update(_ call: Call) async throws -> HTTPResponse {
        let body = try call.body(PatchBody.self)
        guard let patch = body.autoTopUp else { throw AppError.invalid("auto_top_up is required") }
        let before = try await wallet.settings(of: call.driverID)
        var settings = before
        if let enabled = patch.enabled { settings.enabled = enabled }
        if let threshold = patch.thresholdAmount { settings.thresholdAmount = threshold }
        if let amount = patch.amount { settings.amount = amount }
        try await app.database.withTransaction { transaction in
            try await WalletStore(database: transaction).save(settings, driverID: call.driverID)
            try await Audit.record("wallet.auto_top_up_changed", AuditObject("wallet", call.driverID, driver: call.driverID),
                                   before: before, after: settings, on: transaction)
        }
        return try await render(call.driverID)
    }

    struct TopUpBody: Decodable {
        let amount: Int64?
        let paymentMethodId: UUID?
    }

    /// A card top-up. A declined card is a 201 payment with status `failed`, not an error;
    /// a card needing SCA gives `requires_action` with the page to send the driver to.
    func topUp(_ call: Call) async throws -> HTTPResponse {
        let request = call.request, context = call.context
        let body = try call.body(TopUpBody.self)
        guard let amount = body.amount, let cardID = body.paymentMethodId else { throw AppError.invalid("invalid top-up") }
        guard let card = try await wallet.payments.card(cardID, ownedBy: call.driverID) else {
            throw AppError.notFound("no payment method \(cardID.uuidString.lowercased())")
        }
        return try await Idempotency(database: app.database).runWithExternalCall(
            scope: "driver:\(call.driverID.uuidString.lowercased())", request: request, requestID: context.requestID,
            begin: { transaction in
                try await wallet.payments.createPayment(driverID: call.driverID, purpose: .topUp, amount: amount, card: card,
                                                        relatedID: nil, at: call.now, on: transaction)
            },
            complete: { paymentID in
                let payment = try await wallet.payments.execute(paymentID: paymentID, offSession: false,
                                                                capturePostedAs: Wallet.captureTransactionID(ofPayment: paymentID))
                return try wallet.payments.response(payment, status: .created)
            })
    }

    private func render(_ driverID: UUID) async throws -> HTTPResponse {
        let (cash, promo, settings) = try await wallet.overview(of: driverID)
        return try .json(WalletDTO(balanceAmount: cash, promoBalanceAmount: promo, autoTopUp: settings))
    }
}
