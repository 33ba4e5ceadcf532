import Foundation
import TestSupport
import Wallet
import Ledger
import Postgres
import Payments
import Testing

@Suite(.tags(.database)) struct BlockPurchaseTests {
    @Test func walletPaidBlockAndFullRefundBeforeStart() async throws {
        let server = try Fixtures.server(jobs: true)
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
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-06-01T10:00:00Z")
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
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-06-01T10:00:00Z")
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
        let server = try Fixtures.server(jobs: true)
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

@Suite(.tags(.database)) struct AutoTopUpTests {
    func waitForBalance(_ driver: TestDriver, _ expected: Int) async throws -> Int {
        var balance = try await driver.balance()
        for _ in 0..<50 where balance != expected {
            try await Task.sleep(for: .milliseconds(100))
            balance = try await driver.balance()
        }
        return balance
    }

    @Test func spendingUnderTheThresholdTopsUpFromTheDefaultCard() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1500, card: card).status == 201)
        let wallet = try await driver.client.json("GET", "/v1/wallet", token: driver.token).json()
        #expect((wallet["auto_top_up"] as? [String: Any])?["enabled"] as? Bool == true)
        #expect((wallet["auto_top_up"] as? [String: Any])?["threshold_amount"] as? Int == 1000)
        #expect((wallet["auto_top_up"] as? [String: Any])?["amount"] as? Int == 2000)

        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        #expect(try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).status == 201)
        // 1500 − 609 = 891 < 1000: £20 arrives off-session.
        #expect(try await waitForBalance(driver, 891 + 2000) == 2891)
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.first?["description"] as? String == "Automatic top-up by card")
        try await expectLedgerConsistent()
    }

    @Test func autoTopUpCanBeTurnedOffAndFailsSafelyOffSession() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_sca_required")  // needs the cardholder: fails off-session
        let visa = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1500, card: visa).status == 201)
        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        #expect(try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).status == 201)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await driver.balance() == 891)  // the default (SCA) card could not be charged off-session
        _ = card

        let patched = try await driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["enabled": false, "amount": 5000]],
                                                   token: driver.token)
        #expect(patched.status == 200)
        #expect((try patched.json()["auto_top_up"] as? [String: Any])?["enabled"] as? Bool == false)
        #expect(try await driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["amount": 100]], token: driver.token).status == 422)
        #expect(try await driver.client.json("PATCH", "/v1/wallet", ["nothing": true], token: driver.token).status == 422)
    }
}

@Suite(.tags(.database)) struct PromoCreditTests {
    @Test func promoIsSpentFirstAndComesBackAsPromo() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(2000, card: card).status == 201)
        let wallet = Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: PaymentOutcomes()))
        let driverID = UUID(uuidString: driver.id)!
        let reference = UUID().uuidString
        for _ in 0..<2 {  // the second grant with one reference is a no-op
            try await TestDatabase.pool.withTransaction { transaction in
                try await wallet.grantPromo(driverID: driverID, amount: 500, description: "Welcome offer",
                                            causedBy: "promo:\(reference)", at: Date(), on: transaction)
            }
        }
        func balances() async throws -> (Int, Int) {
            let json = try await driver.client.json("GET", "/v1/wallet", token: driver.token).json()
            return (json["balance_amount"] as! Int, json["promo_balance_amount"] as! Int)
        }
        #expect(try await balances() == (2000, 500))

        let quote = try await driver.quote(["product": "hourly", "hours": 3, "starts_at": RFC3339Text.format(Date().addingTimeInterval(3600))]).json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token,
                                                  headers: [("Idempotency-Key", UUID().uuidString)]).json()
        #expect(try await balances() == (2000 - 109, 0))  // 609 = 500 promo + 109 cash
        _ = try await driver.client.json("POST", "/v1/policies/\(policy["id"]!)/cancel", token: driver.token)
        #expect(try await balances() == (2000, 500))  // promo returns as promo, never as cash
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.first?["funding"] as? String == "mixed")
        try await expectLedgerConsistent()
    }
}

extension PromoCreditTests {
    @Test func promoCreditLiftsAPauseAndSaysSo() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let wallet = Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: PaymentOutcomes()))
        let driverID = UUID(uuidString: driver.id)!
        // A running session is charged past zero: cover pauses.
        try await TestDatabase.pool.withTransaction { transaction in
            try await wallet.spend(driverID: driverID, gross: 203, ipt: 22, kind: .sessionCharge, description: "Cover session",
                                   causedBy: "test:\(UUID())", relatedID: nil, at: Date(), allowOverdraft: true, on: transaction)
        }
        #expect(try await wallet.isCoverPaused(driverID))
        try await TestDatabase.pool.withTransaction { transaction in
            try await wallet.grantPromo(driverID: driverID, amount: 1500, description: "Goodwill credit",
                                        causedBy: "promo:\(UUID())", at: Date(), on: transaction)
        }
        #expect(try await wallet.isCoverPaused(driverID) == false)
        let feed = try await driver.client.json("GET", "/v1/notifications", token: driver.token).json()["data"] as! [[String: Any]]
        let resumed = try #require(feed.first { $0["kind"] as? String == "cover_resumed" })
        #expect((resumed["body"] as? String)?.hasPrefix("Your balance is 12.97 GBP including promotional credit") == true)
        try await expectLedgerConsistent()
    }
}

@Suite(.tags(.database)) struct StatementTests {
    @Test func aWeeklyStatementTotalsTheWeekAndIsKeptOnceFinal() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-06-01T10:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(5000, card: card).status == 201)
        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        #expect(try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).status == 201)

        let open = try await driver.client.json("GET", "/v1/statements/2026-W23", token: driver.token).json()
        #expect(open["final"] as? Bool == false)
        #expect(open["starts_at"] as? String == "2026-06-01T00:00:00Z")
        #expect(open["opening_balance_amount"] as? Int == 0)
        #expect(open["closing_balance_amount"] as? Int == 4391)
        #expect(open["top_ups_amount"] as? Int == 5000)
        #expect(open["charges_amount"] as? Int == 609)
        #expect(open["ipt_amount"] as? Int == 65)
        #expect((open["lines"] as? [Any])?.count == 2)

        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-06-08T09:00:00Z"])
        let closed = try await driver.client.json("GET", "/v1/statements/2026-W23", token: driver.token)
        #expect(try closed.json()["final"] as? Bool == true)
        let again = try await driver.client.json("GET", "/v1/statements/2026-W23", token: driver.token)
        #expect(again.body == closed.body)
        #expect(try await driver.client.json("GET", "/v1/statements/2026-W30", token: driver.token).status == 404)  // not started
        #expect(try await driver.client.json("GET", "/v1/statements/june", token: driver.token).status == 404)
    }
}

@Suite(.tags(.database)) struct RefundTests {
    /// The driver cancels while the bank still waits for them, then authenticates anyway: the
    /// money taken is booked and owed back, and the refunds sweep (run by a clock advance)
    /// returns it to the card.
    @Test func aPaymentThatSucceedsAfterCancellationIsRefunded() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-07-01T08:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_sca_required")
        let quote = try await driver.quote(["product": "hourly", "hours": 2]).json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                  token: driver.token).json()
        let id = policy["id"] as! String
        let cancelled = try await driver.client.json("POST", "/v1/policies/\(id)/cancel", token: driver.token)
        #expect(try cancelled.json()["status"] as? String == "cancelled")
        #expect(try cancelled.json()["refund_amount"] as? Int == 0)

        let url = try #require(URLComponents(string: ((policy["payment"] as! [String: Any])["next_action"] as! [String: Any])["redirect_url"] as! String))
        let bank = try TestConnection(port: UInt16(url.port!))
        _ = try await bank.request("POST", url.path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: Array("result=pass".utf8))
        var refund: [String: Any]?
        for _ in 0..<50 where refund == nil {
            try await Task.sleep(for: .milliseconds(100))
            refund = try await driver.client.json("GET", "/v1/policies/\(id)", token: driver.token).json()["refund"] as? [String: Any]
        }
        #expect(refund?["state"] as? String == "pending")
        #expect(refund?["amount"] as? Int == quote["total_amount"] as? Int)

        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-07-01T08:05:00Z"])
        let after = try await driver.client.json("GET", "/v1/policies/\(id)", token: driver.token).json()
        #expect((after["refund"] as? [String: Any])?["state"] as? String == "succeeded")
        #expect((after["refund"] as? [String: Any])?["destination"] as? String == "card")
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(Set(history.compactMap { $0["type"] as? String }) == ["refund", "block_purchase"])
        #expect(history.reduce(0) { $0 + ($1["amount"] as! Int) } == 0)
        try await expectLedgerConsistent()
    }
}

@Suite(.tags(.database)) struct PausedCoverTests {
    /// Below £0 a PAYG policy shows `paused`.
    @Test func paygPausesBelowZero() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let payg = try await driver.quote().json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": payg["id"]!], token: driver.token).json()
        #expect(policy["status"] as? String == "active")
        // A running session may take the wallet below zero (issue #6 charges sessions this way).
        let wallet = Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: PaymentOutcomes()))
        try await TestDatabase.pool.withTransaction { transaction in
            try await wallet.spend(driverID: UUID(uuidString: driver.id)!, gross: 350, ipt: 38, kind: .sessionCharge,
                                   description: "Cover session", causedBy: "test:\(driver.id):session", relatedID: nil,
                                   at: Date(), allowOverdraft: true, on: transaction)
        }
        #expect(try await driver.balance() == -350)
        let shown = try await driver.client.json("GET", "/v1/policies/\(policy["id"]!)", token: driver.token).json()
        #expect(shown["status"] as? String == "paused")
        let listed = try await driver.client.json("GET", "/v1/policies", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(listed.first?["status"] as? String == "paused")
    }

    /// A failed automatic top-up tells the driver in the app.
    @Test func aFailedAutoTopUpIsNotified() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        _ = try await driver.addCard("tok_declined")  // the default card
        let visa = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1500, card: visa).status == 201)
        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        #expect(try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).status == 201)
        var notifications: [[String: Any]] = []
        for _ in 0..<50 where notifications.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            notifications = try await driver.client.json("GET", "/v1/notifications", token: driver.token).json()["data"] as! [[String: Any]]
        }
        #expect(notifications.first?["kind"] as? String == "auto_top_up_failed")
        #expect((notifications.first?["body"] as? String)?.contains("8.91 GBP") == true)
        let id = try #require(notifications.first?["id"] as? String)
        let read = try await driver.client.json("POST", "/v1/notifications/\(id)/read", token: driver.token)
        #expect(read.status == 200)
        #expect(try read.json()["read_at"] is String)
        #expect(try await driver.balance() == 891)
    }
}

@Suite(.tags(.database)) struct UnpaidBlockTests {
    /// A block never paid expires with its period; a payment that comes through only after
    /// that covers nothing and goes back to the card.
    @Test func aBlockPaidOnlyAfterItsPeriodExpiredIsRefunded() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-07-02T08:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_sca_required")
        let quote = try await driver.quote(["product": "hourly", "hours": 1]).json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                  token: driver.token).json()
        let id = policy["id"] as! String
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-07-02T09:05:00Z"])
        #expect(try await driver.client.json("GET", "/v1/policies/\(id)", token: driver.token).json()["status"] as? String == "expired")
        #expect(try await driver.client.json("POST", "/v1/policies/\(id)/cancel", token: driver.token).status == 409)

        let url = try #require(URLComponents(string: ((policy["payment"] as! [String: Any])["next_action"] as! [String: Any])["redirect_url"] as! String))
        _ = try await TestConnection(port: UInt16(url.port!)).request("POST", url.path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                                     body: Array("result=pass".utf8))
        let confirmed = try await driver.client.json("POST", "/v1/payments/\((policy["payment"] as! [String: Any])["id"]!)/confirm", token: driver.token)
        #expect(try confirmed.json()["status"] as? String == "succeeded")
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-07-02T09:10:00Z"])
        let after = try await driver.client.json("GET", "/v1/policies/\(id)", token: driver.token).json()
        #expect(after["status"] as? String == "expired")
        #expect(after["paid_at"] is NSNull)
        #expect((after["refund"] as? [String: Any])?["state"] as? String == "succeeded")
        #expect(after["refund_amount"] as? Int == quote["total_amount"] as? Int)
        #expect(try await driver.client.json("GET", "/v1/cover?at=2026-07-02T09:07:00Z", token: driver.token).json()["covered"] as? Bool == false)
        #expect(try await driver.client.json("GET", "/v1/policies/\(id)/certificate", token: driver.token).status == 409)
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.reduce(0) { $0 + ($1["amount"] as! Int) } == 0)
        try await expectLedgerConsistent()
    }
}
