import AppKernel
import Foundation
import Ledger
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Hourglass
import Payments
import Postgres
import Refunds
import SandboxPSP
import TestSupport
import Testing
import Wallet

/// Talks to a test server's sandbox card processor as the processor itself would: its API with
/// the server's key, and webhooks signed with the server's secret.
struct ProcessorSide {
    let psp: InProcessSandboxPSP
    let serverPort: UInt16

    /// The processor's JSON of the intent created for our payment `paymentID`.
    func intentObject(forPayment paymentID: String) async throws -> [String: Any] {
        var components = URLComponents(string: psp.baseURL + "/v1/payment_intents/search")!
        components.queryItems = [URLQueryItem(name: "query", value: "metadata['payment_id']:'\(paymentID)'")]
        var request = URLRequest(url: components.url!)
        request.setValue("Bearer \(psp.apiKey)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        let found = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["data"] as? [[String: Any]] ?? []
        guard let intent = found.first else { throw TestClientError.malformed("no intent for payment \(paymentID)") }
        return intent
    }

    /// Posts a signed event to the server's webhook endpoint.
    func deliver(_ type: String, object: [String: Any], eventID: String = "evt_test_\(UUID().uuidString.prefix(12))") async throws -> TestResponse {
        let event: [String: Any] = ["id": eventID, "type": type, "created": Int(Date().timeIntervalSince1970), "data": ["object": object]]
        let body = Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
        let signature = WebhookSignature.sign(body: body, secret: psp.webhookSecret, timestamp: Int(Date().timeIntervalSince1970))
        return try await TestConnection(port: serverPort).request("POST", "/v1/webhooks/psp",
                                                                  headers: [("Content-Type", "application/json"), ("PSP-Signature", signature)],
                                                                  body: body)
    }
}

extension TestDriver {
    /// The id of the driver's newest payment (as our database has it).
    func latestPaymentID() async throws -> String {
        try await TestDatabase.pool.queryValue("""
            SELECT id::text FROM payments.payments WHERE driver_id = \(UUID(uuidString: id)!) ORDER BY created_at DESC LIMIT 1
            """, as: String.self)
    }
}

/// Polls `condition` for up to `seconds`.
func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Issue #9, item 6: card money can never be taken and not credited.
@Suite(.tags(.database)) struct PaymentRecoveryTests {
    /// The processor's webhook arrives before (or instead of) its answer to our charge: we have
    /// no intent id yet, and it is matched by the payment id we put in its metadata.
    @Test func aWebhookFindsItsPaymentByMetadataBeforeTheChargeAnswers() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        psp.psp.holdChargeAnswers(true)
        let topUp = Task {
            try await TestConnection(port: server.port, timeout: 30).json("POST", "/v1/wallet/top-ups", ["amount": 2000, "payment_method_id": card],
                                                                          token: driver.token, headers: [("Idempotency-Key", "held-1")])
        }
        #expect(try await eventually { try await driver.balance() == 2000 })   // credited by the webhook alone
        psp.psp.holdChargeAnswers(false)
        let answered = try await topUp.value
        #expect(answered.status == 201)
        #expect(try answered.json()["status"] as? String == "succeeded")
        #expect(try await driver.balance() == 2000)
        let lines = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(lines.map { $0["type"] as? String } == ["top_up"])
        try await expectLedgerConsistent()
    }

    /// Recording an event and applying it are one transaction: an event that cannot be applied
    /// now is answered 503 and not recorded, so the processor's redelivery is applied.
    @Test func anEventThatFailsToApplyIsAppliedWhenRedelivered() async throws {
        var configuration = TestDatabase.configuration
        configuration.statementTimeout = .milliseconds(800)
        let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 8))
        let (server, psp) = try Fixtures.serverWithPSP(database: pool)
        defer { Task { await server.stop(); await pool.close() } }
        let processor = ProcessorSide(psp: psp, serverPort: server.port)
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        psp.psp.setWebhookURL(nil)
        psp.psp.holdChargeAnswers(true)
        let topUp = Task {
            try await TestConnection(port: server.port, timeout: 30).json("POST", "/v1/wallet/top-ups", ["amount": 1500, "payment_method_id": card],
                                                                          token: driver.token)
        }
        #expect(try await eventually { psp.psp.intentCounts.succeeded == 1 })
        let paymentID = try await driver.latestPaymentID()
        let intent = try await processor.intentObject(forPayment: paymentID)

        // The payment row is busy (locked) while the event arrives: it cannot be applied now.
        let eventID = "evt_locked_\(UUID().uuidString.prefix(8))"
        try await TestDatabase.pool.withTransaction { transaction in
            _ = try await transaction.query("SELECT id FROM payments.payments WHERE id = \(UUID(uuidString: paymentID)!) FOR UPDATE")
            let refused = try await processor.deliver("payment_intent.succeeded", object: intent, eventID: eventID)
            #expect(refused.status == 503, "\(refused.text)")
        }
        #expect(try await driver.balance() == 0)
        let redelivered = try await processor.deliver("payment_intent.succeeded", object: intent, eventID: eventID)
        #expect(redelivered.status == 200)
        #expect(try redelivered.json()["duplicate"] as? Bool == false)
        #expect(try await driver.balance() == 1500)
        // And once applied, a third delivery is a replay.
        #expect(try await processor.deliver("payment_intent.succeeded", object: intent, eventID: eventID).json()["duplicate"] as? Bool == true)
        psp.psp.holdChargeAnswers(false)
        #expect(try await topUp.value.status == 201)
        #expect(try await driver.balance() == 1500)
        try await expectLedgerConsistent()
    }

    /// The recovery job asks the processor about payments left `processing`: one it has is
    /// settled (once); one it never received fails, and a success reported later still counts.
    @Test func theRecoveryJobSettlesPaymentsLeftProcessing() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let processor = ProcessorSide(psp: psp, serverPort: server.port)
        let outcomes = PaymentOutcomes()
        let payments = Payments(app: server.app, gateway: PSPClient(baseURL: URL(string: psp.baseURL)!, apiKey: psp.apiKey), outcomes: outcomes)
        let wallet = Wallet(app: server.app, payments: payments)
        outcomes.register(.topUp) { payment, transaction in try await wallet.topUpSettled(payment, on: transaction) }
        let driver = try await TestDriver.make(server)
        let driverID = UUID(uuidString: driver.id)!
        let card = try await driver.addCard("tok_visa")

        // Captured at the processor, our server never heard: no answer, no webhook.
        psp.psp.setWebhookURL(nil)
        psp.psp.holdChargeAnswers(true)
        let topUp = Task {
            try await TestConnection(port: server.port, timeout: 30).json("POST", "/v1/wallet/top-ups", ["amount": 2500, "payment_method_id": card],
                                                                          token: driver.token)
        }
        #expect(try await eventually { psp.psp.intentCounts.succeeded == 1 })
        await payments.recoverUnsettled(olderThan: .zero, driverIDs: [driverID])
        #expect(try await driver.balance() == 2500)
        await payments.recoverUnsettled(olderThan: .zero, driverIDs: [driverID])   // nothing left to do
        psp.psp.holdChargeAnswers(false)
        #expect(try await topUp.value.status == 201)
        #expect(try await driver.balance() == 2500)

        // A payment recorded but never sent (the process died before the call).
        let method = try #require(try await payments.card(UUID(uuidString: card)!, ownedBy: driverID))
        let orphan = try await TestDatabase.pool.withTransaction { transaction in
            try await payments.createPayment(driverID: driverID, purpose: .topUp, amount: 700, card: method, relatedID: nil,
                                             at: Date(), on: transaction)
        }
        await payments.recoverUnsettled(olderThan: .zero, driverIDs: [driverID])
        let failed = try await driver.client.json("GET", "/v1/payments/\(orphan.uuidString)", token: driver.token).json()
        #expect(failed["status"] as? String == "failed")
        #expect(failed["failure_code"] as? String == Payments.noRecordAtProcessor)
        #expect(try await driver.balance() == 2500)
        // If the processor reports later that it did take the money after all, it is credited.
        let late: [String: Any] = ["id": "pi_late_\(UUID().uuidString.prefix(8))", "object": "payment_intent", "amount": 700,
                                   "currency": "gbp", "status": "succeeded", "metadata": ["payment_id": orphan.uuidString.lowercased()],
                                   "next_action": NSNull(), "last_payment_error": NSNull()]
        #expect(try await processor.deliver("payment_intent.succeeded", object: late).status == 200)
        #expect(try await driver.balance() == 3200)
        try await expectLedgerConsistent()
    }

    /// Refund events book a refund we sent but never heard back about; payouts are recorded.
    @Test func refundAndPayoutEventsAreApplied() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let processor = ProcessorSide(psp: psp, serverPort: server.port)
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let quote = try await driver.quote(["product": "hourly", "hours": 2, "starts_at": RFC3339Text.format(Date().addingTimeInterval(7200))]).json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                  token: driver.token).json()
        let paymentID = try #require((policy["payment"] as? [String: Any])?["id"] as? String)
        let outcomes = PaymentOutcomes()
        let wallet = Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: outcomes))
        let refunds = Refunds(app: server.app, wallet: wallet)
        let payment = try #require(try await wallet.payments.payment(UUID(uuidString: paymentID)!))
        let refundID = try #require(try await TestDatabase.pool.withTransaction { transaction in
            try await refunds.owedToCard(payment: payment, subjectID: UUID(uuidString: policy["id"] as! String)!, amount: 406,
                                         description: "Refund for a test", at: Date(), on: transaction)?.id
        })
        let refundObject: [String: Any] = ["id": "re_test_\(UUID().uuidString.prefix(8))", "object": "refund", "amount": 406,
                                           "payment_intent": "pi_whatever", "status": "succeeded", "currency": "gbp",
                                           "metadata": ["refund_id": refundID.uuidString.lowercased()]]
        #expect(try await processor.deliver("refund.succeeded", object: refundObject).status == 200)
        #expect(try await processor.deliver("refund.succeeded", object: refundObject).status == 200)   // another event, same refund
        let state = try await TestDatabase.pool.queryValue("SELECT state FROM refunds.refunds WHERE id = \(refundID)", as: String.self)
        #expect(state == "succeeded")
        let postings = try await TestDatabase.pool.queryValue(
            "SELECT count(*) FROM ledger.transactions WHERE id = \(Ledger.transactionID(causedBy: "refund:\(refundID.uuidString.lowercased())"))",
            as: Int.self)
        #expect(postings == 1)

        let payout: [String: Any] = ["id": "po_test_\(UUID().uuidString.prefix(8))", "object": "payout", "amount": 125_000,
                                     "currency": "gbp", "status": "in_transit", "arrival_date": 1_790_000_000]
        #expect(try await processor.deliver("payout.created", object: payout).status == 200)
        var paid = payout
        paid["status"] = "paid"
        #expect(try await processor.deliver("payout.paid", object: paid).status == 200)
        let recorded = try await TestDatabase.pool.queryOne(
            "SELECT status, amount, currency FROM payments.payouts WHERE id = \(payout["id"] as! String)") {
            (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1), try $0.decode(String.self, at: 2))
        }
        #expect(recorded.0 == "paid" && recorded.1 == 125_000 && recorded.2 == "GBP")
        // An object missing what its type needs is a 400, not a 500, and not recorded.
        #expect(try await processor.deliver("payout.paid", object: ["id": "po_broken"]).status == 400)
        try await expectLedgerConsistent()
    }
}


