import AppKernel
import Foundation
@testable import Hourglass
import HTTPServer
import Ledger
import Logging
import Payments
import Postgres
import TestSupport
import Testing
import Wallet

extension TestDriver {
    func addCard(_ token: String) async throws -> String {
        let response = try await client.json("POST", "/v1/payment-methods", ["token": token], token: self.token)
        guard response.status == 201 else { throw TestClientError.malformed("card failed: \(response.text)") }
        return try response.json()["id"] as! String
    }

    func topUp(_ amount: Int, card: String, key: String? = nil) async throws -> TestResponse {
        try await client.json("POST", "/v1/wallet/top-ups", ["amount": amount, "payment_method_id": card], token: token,
                              headers: key.map { [("Idempotency-Key", $0)] } ?? [])
    }

    func balance() async throws -> Int {
        try await client.json("GET", "/v1/wallet", token: token).json()["balance_amount"] as! Int
    }
}

/// The ledger's invariants, checked after money tests: every transaction balances and every
/// maintained balance equals the sum of its entries.
func expectLedgerConsistent() async throws {
    let unbalanced = try await TestDatabase.pool.queryValue("""
        SELECT count(*) FROM (SELECT transaction_id FROM ledger.entries GROUP BY transaction_id HAVING sum(amount) <> 0) t
        """, as: Int.self)
    #expect(unbalanced == 0)
    let drift = try await TestDatabase.pool.queryValue("""
        SELECT count(*) FROM ledger.balances b
        LEFT JOIN (SELECT account_id, sum(amount)::int8 AS total FROM ledger.entries GROUP BY account_id) e USING (account_id)
        WHERE b.balance <> coalesce(e.total, 0)
        """, as: Int.self)
    #expect(drift == 0)
    // No code path took a second connection while holding one (the pool-starvation pattern).
    #expect(TestDatabase.pool.statistics.nestedAcquisitions == 0)
}

@Suite(.tags(.database)) struct MoneyTests {
    @Test func cardsAndASimpleTopUp() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let second = try await driver.client.json("POST", "/v1/payment-methods", ["token": "tok_mastercard"], token: driver.token).json()
        #expect(second["is_default"] as? Bool == false)
        let cards = try await driver.client.json("GET", "/v1/payment-methods", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(cards.count == 2)
        #expect(cards.first { $0["id"] as? String == card }?["is_default"] as? Bool == true)
        #expect(cards.first { $0["id"] as? String == card }?["last4"] as? String == "4242")
        let bad = try await driver.client.json("POST", "/v1/payment-methods", ["token": "tok_bogus"], token: driver.token)
        #expect(bad.status == 422)

        let topUp = try await driver.topUp(2000, card: card)
        #expect(topUp.status == 201)
        let payment = try topUp.json()
        #expect(payment["status"] as? String == "succeeded")
        #expect(payment["amount"] as? Int == 2000)
        #expect(payment["next_action"] is NSNull)
        #expect(try await driver.balance() == 2000)
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.count == 1)
        #expect(history[0]["type"] as? String == "top_up")
        #expect(history[0]["amount"] as? Int == 2000)
        #expect(history[0]["funding"] as? String == "card")
        try await expectLedgerConsistent()
    }

    @Test func declinesAreFailedPaymentsNotErrors() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        for (token, code) in [("tok_declined", "card_declined"), ("tok_insufficient_funds", "insufficient_funds")] {
            let card = try await driver.addCard(token)
            let response = try await driver.topUp(1500, card: card)
            #expect(response.status == 201)
            #expect(try response.json()["status"] as? String == "failed")
            #expect(try response.json()["failure_code"] as? String == code)
        }
        #expect(try await driver.balance() == 0)
        for amount in [499, 50_001, -5] {
            let card = try await driver.addCard("tok_visa")
            #expect(try await driver.topUp(amount, card: card).status == 422, "amount \(amount)")
        }
        #expect(try await driver.topUp(1000, card: UUID().uuidString).status == 404)
    }

    @Test func scaPathEndToEnd() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_sca_required")
        let response = try await driver.topUp(2500, card: card)
        #expect(response.status == 201)
        let payment = try response.json()
        #expect(payment["status"] as? String == "requires_action")
        let action = try #require(payment["next_action"] as? [String: Any])
        #expect(action["type"] as? String == "redirect")
        let url = try #require(URLComponents(string: action["redirect_url"] as! String))
        #expect(try await driver.balance() == 0)

        // The driver opens the bank's page and presses Authenticate.
        let bank = try TestConnection(port: UInt16(url.port!))
        let page = try await bank.request("GET", url.path)
        #expect(page.status == 200)
        #expect(page.text.contains("Authenticate"))
        let pressed = try await bank.request("POST", url.path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                             body: Array("result=pass".utf8))
        #expect(pressed.status == 200)

        let confirmed = try await driver.client.json("POST", "/v1/payments/\(payment["id"]!)/confirm", token: driver.token)
        #expect(confirmed.status == 200)
        #expect(try confirmed.json()["status"] as? String == "succeeded")
        #expect(try await driver.balance() == 2500)
        // The webhook for the same payment arrives too; the wallet is credited once.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await driver.balance() == 2500)
        try await expectLedgerConsistent()

        let failing = try await driver.topUp(1000, card: card).json()
        let failURL = try #require(URLComponents(string: (failing["next_action"] as! [String: Any])["redirect_url"] as! String))
        _ = try await bank.request("POST", failURL.path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: Array("result=fail".utf8))
        let failed = try await driver.client.json("POST", "/v1/payments/\(failing["id"]!)/confirm", token: driver.token).json()
        #expect(failed["status"] as? String == "failed")
        #expect(failed["failure_code"] as? String == "authentication_failed")
        #expect(try await driver.balance() == 2500)
    }

    @Test func twentyConcurrentTopUpsWithOneKeyChargeOnce() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let key = UUID().uuidString
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let client = try TestConnection(port: server.port)
                    return try await client.json("POST", "/v1/wallet/top-ups", ["amount": 3000, "payment_method_id": card],
                                                 token: driver.token, headers: [("Idempotency-Key", key)]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 })
        #expect(statuses.contains(201))
        #expect(try await driver.balance() == 3000)
        let charges = try await TestDatabase.pool.queryValue(
            "SELECT count(*) FROM payments.payments WHERE driver_id = \(UUID(uuidString: driver.id)!)", as: Int.self)
        #expect(charges == 1)
        // A later retry replays the stored answer.
        let replay = try await driver.topUp(3000, card: card, key: key)
        #expect(replay.status == 201)
        #expect(replay.header("idempotent-replayed") == "true")
        #expect(try await driver.topUp(3100, card: card, key: key).status == 422)
        try await expectLedgerConsistent()
    }

    @Test func webhooksAreVerifiedAndReplaysIgnored() async throws {
        let config = try TestServer.config()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let services = try Services.make(config, logger: logger, database: TestDatabase.pool)
        let server = try TestServer(config: config, database: TestDatabase.pool,
                                    modules: { app in try! installedModules(app, services: services) },
                                    onStop: { await services.stop() })
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let body = Array(#"{"id":"evt_test_\#(UUID().uuidString)","type":"payment_intent.succeeded","data":{"object":{"id":"pi_unknown","status":"succeeded"}}}"#.utf8)
        let now = Int(Date().timeIntervalSince1970)
        func post(_ signature: String?) async throws -> TestResponse {
            var headers = [("Content-Type", "application/json")]
            if let signature { headers.append(("PSP-Signature", signature)) }
            return try await client.request("POST", "/v1/webhooks/psp", headers: headers, body: body)
        }
        let good = WebhookSignature.sign(body: body, secret: services.pspWebhookSecret, timestamp: now)
        #expect(try await post(good).status == 200)
        let replay = try await post(good)
        #expect(replay.status == 200)
        #expect(try replay.json()["duplicate"] as? Bool == true)
        #expect(try await post(nil).status == 401)
        #expect(try await post(WebhookSignature.sign(body: body, secret: "wrong", timestamp: now)).status == 401)
        #expect(try await post(WebhookSignature.sign(body: body, secret: services.pspWebhookSecret, timestamp: now - 301)).status == 401)
        #expect(try await post("t=\(now),v1=zz").status == 401)
        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "X")
        #expect(try await client.request("POST", "/v1/webhooks/psp", headers: [("PSP-Signature", good)], body: tampered).status == 401)
    }

    @Test func concurrentSpendsNeverOverdraw() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1000, card: card).status == 201)
        let driverID = UUID(uuidString: driver.id)!
        let wallet = Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: PaymentOutcomes()))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<2 {
                group.addTask {
                    do {
                        try await TestDatabase.pool.withTransaction { transaction in
                            try await wallet.spend(driverID: driverID, gross: 700, ipt: 75, kind: .blockPurchase,
                                                   description: "test spend", causedBy: "test:\(driverID):\(index)",
                                                   relatedID: nil, at: Date(), on: transaction)
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await driver.balance() == 300)
        try await expectLedgerConsistent()
    }
}

/// A gateway for tests that must never reach a card processor.
struct NoGateway: PaymentGateway {
    struct Unused: Error {}
    func saveCard(token: String, idempotencyKey: String) async throws -> GatewayCard { throw Unused() }
    func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                metadata: [String: String]) async throws -> GatewayIntent { throw Unused() }
    func intent(id: String) async throws -> GatewayIntent { throw Unused() }
    func intent(forPayment paymentID: String) async throws -> GatewayIntent? { throw Unused() }
    func refund(intentID: String, amount: Int64, idempotencyKey: String, metadata: [String: String]) async throws -> GatewayRefund {
        throw Unused()
    }
    func payoutReport(payoutID: String) async throws -> [UInt8] { throw Unused() }
}

@Suite(.tags(.database)) struct IdempotencyRetentionTests {
    @Test func completedKeysAreKeptAtLeastADay() async throws {
        let scope = "test:\(UUID().uuidString)"
        try await TestDatabase.pool.execute("""
            INSERT INTO kernel.idempotency_keys (scope, key, request_hash, response_status, response_type, response_body, created_at)
            VALUES (\(scope), 'old', 'h', 201, 'application/json', '\\x7b7d', now() - interval '8 days'),
                   (\(scope), 'recent', 'h', 201, 'application/json', '\\x7b7d', now() - interval '25 hours')
            """)
        try await Idempotency(database: TestDatabase.pool).deleteCompleted()
        let left = try await TestDatabase.pool.queryAll("SELECT key FROM kernel.idempotency_keys WHERE scope = \(scope)") {
            try $0.decode(String.self, at: 0)
        }
        #expect(left == ["recent"])
    }
}
