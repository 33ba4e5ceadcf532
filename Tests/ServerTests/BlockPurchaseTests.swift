import Foundation
import TestSupport
import Testing

@Suite(.tags(.database)) struct BlockPurchaseTests {
    @Test func walletPaidBlockAndFullRefundBeforeStart() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let quote = try await driver.quote(["product": "hourly", "hours": 3,
                                            "starts_at": RFC3339Text.format(Date().addingTimeInterval(7200))]).json()
        let total = quote["total_amount"] as! Int
        #expect(total == 609)

        // Not enough in the wallet: nothing is bound, so the same quote can be bought after a top-up.
        let short = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token)
        #expect(short.status == 422)
        #expect((try short.json()["type"] as? String)?.hasSuffix("/insufficient-balance") == true)
        #expect(try await driver.topUp(5000, card: card).status == 201)

        let bought = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token)
        #expect(bought.status == 201)
        let policy = try bought.json()
        #expect(policy["status"] as? String == "scheduled")
        #expect(policy["funding"] as? String == "wallet")
        #expect(try await driver.balance() == 5000 - 609)
        #expect(try await driver.client.json("GET", "/v1/policies/\(policy["id"]!)/certificate", token: driver.token).status == 200)

        let cancelled = try await driver.client.json("POST", "/v1/policies/\(policy["id"]!)/cancel", token: driver.token)
        #expect(cancelled.status == 200)
        #expect(try cancelled.json()["status"] as? String == "cancelled")
        #expect(try cancelled.json()["refund_amount"] as? Int == 609)
        #expect(try await driver.balance() == 5000)

        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.map { $0["type"] as? String } == ["refund", "block_purchase", "top_up"])
        #expect(history.map { $0["amount"] as? Int } == [609, -609, 5000])
        #expect(history[1]["ipt_amount"] as? Int == 65)  // 609 × 3/28 = 65.25
        #expect(history[1]["funding"] as? String == "wallet")
        try await expectLedgerConsistent()
    }

    @Test func cardPaidBlockRefundsUnusedWholeHoursToTheCard() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let clocks = try TestConnection(port: server.port)
        let clockID = try await clocks.json("POST", "/v1/test-clocks", ["frozen_time": "2026-06-01T10:00:00Z"]).json()["id"] as! String
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        let bought = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                  token: driver.token)
        #expect(bought.status == 201)
        let policy = try bought.json()
        #expect(policy["status"] as? String == "active")  // starts now on the driver's clock
        #expect((policy["payment"] as? [String: Any])?["status"] as? String == "succeeded")
        #expect(try await driver.balance() == 0)

        // 1 h 30 min in: one whole hour is unused.
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-06-01T11:30:00Z"])
        let cancelled = try await driver.client.json("POST", "/v1/policies/\(policy["id"]!)/cancel", token: driver.token)
        #expect(cancelled.status == 200)
        #expect(try cancelled.json()["refund_amount"] as? Int == 203)
        #expect(try await driver.balance() == 0)  // back to the card, not the wallet
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.map { $0["type"] as? String } == ["refund", "block_purchase"])
        #expect(history.map { $0["funding"] as? String } == ["card", "card"])
        #expect(history.map { $0["amount"] as? Int } == [203, -609])
        try await expectLedgerConsistent()
    }

    @Test func expiredBlocksCannotBeCancelledAndStatusesFollowTheClock() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let clocks = try TestConnection(port: server.port)
        let clockID = try await clocks.json("POST", "/v1/test-clocks", ["frozen_time": "2026-06-01T10:00:00Z"]).json()["id"] as! String
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        let quote = try await driver.quote(["product": "hourly", "hours": 2, "starts_at": "2026-06-02T10:00:00Z"]).json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                  token: driver.token).json()
        let id = policy["id"] as! String
        func status() async throws -> String? {
            try await driver.client.json("GET", "/v1/policies/\(id)", token: driver.token).json()["status"] as? String
        }
        #expect(try await status() == "scheduled")
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-06-02T10:30:00Z"])
        #expect(try await status() == "active")
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-06-02T12:00:00Z"])
        #expect(try await status() == "expired")
        #expect(try await driver.client.json("POST", "/v1/policies/\(id)/cancel", token: driver.token).status == 409)
    }

    @Test func scaForABlockThenCertificate() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_sca_required")
        let quote = try await driver.quote(["product": "hourly", "hours": 1]).json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                  token: driver.token).json()
        let payment = try #require(policy["payment"] as? [String: Any])
        let url = try #require(URLComponents(string: (payment["next_action"] as! [String: Any])["redirect_url"] as! String))
        let bank = try TestConnection(port: UInt16(url.port!))
        _ = try await bank.request("POST", url.path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: Array("result=pass".utf8))
        let confirmed = try await driver.client.json("POST", "/v1/payments/\(payment["id"]!)/confirm", token: driver.token)
        #expect(try confirmed.json()["status"] as? String == "succeeded")
        let after = try await driver.client.json("GET", "/v1/policies/\(policy["id"]!)", token: driver.token).json()
        #expect(after["status"] as? String == "active")
        #expect(try await driver.client.json("GET", "/v1/policies/\(policy["id"]!)/certificate", token: driver.token).status == 200)
        try await expectLedgerConsistent()
    }
}
