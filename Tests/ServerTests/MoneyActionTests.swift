import AdminUI
import AppKernel
import Foundation
import HTTPServer
@testable import Hourglass
import Identity
import Ledger
import Payments
import Postgres
import TestSupport
import Testing
import Wallet

/// Staff money actions (OPS.md "Actions", issue #12 item 1): a card payment refunded to its card
/// through the processor, a wallet-paid purchase refunded to the wallet, cash adjustments up and
/// down, a negative balance written off, and promotional credit from the command line. Each
/// confirmation states the balances before → after from the ledger; each action is one balanced
/// posting and one audit event with the actor and reason; the driver sees the result in the API;
/// and the ledger's invariants hold afterwards.
@Suite(.tags(.database)) struct MoneyActionTests {
    // MARK: - Helpers

    static func balances(_ driver: TestDriver) async throws -> (cash: Int, promo: Int) {
        let json = try await driver.client.json("GET", "/v1/wallet", token: driver.token).json()
        return (json["balance_amount"] as! Int, json["promo_balance_amount"] as! Int)
    }

    static func transactions(_ driver: TestDriver) async throws -> [[String: Any]] {
        try await driver.client.json("GET", "/v1/transactions?limit=200", token: driver.token).json()["data"] as! [[String: Any]]
    }

    /// What the card processor itself says it has refunded of a payment's charge.
    static func refundedAtProcessor(_ psp: InProcessSandboxPSP, payment: String) async throws -> Int {
        let intent = try await TestDatabase.pool.queryValue(
            "SELECT psp_intent_id FROM payments.payments WHERE id = \(UUID(uuidString: payment)!)", as: String.self)
        let client = try TestConnection(port: psp.server.port)
        return try await client.json("GET", "/v1/payment_intents/\(intent)", token: psp.apiKey).json()["amount_refunded"] as! Int
    }

    static func events(_ action: String, object: String) async throws -> [(actor: String, reason: String?, text: String?, approval: UUID?)] {
        try await AdminActionTests.auditEvents(action, object: object)
    }

    /// The audit event's before and after, as stored.
    static func snapshots(_ action: String, object: String) async throws -> [(before: String?, after: String?)] {
        try await TestDatabase.pool.queryAll("""
            SELECT before::text, after::text FROM audit.events WHERE action = \(action) AND object_id = \(object) ORDER BY occurred_at
            """) { (try $0.decode(String?.self, at: 0), try $0.decode(String?.self, at: 1)) }
    }

    static func topUp(_ driver: TestDriver, _ amount: Int) async throws -> (card: String, payment: String) {
        let card = try await driver.addCard("tok_visa")
        let paid = try await driver.topUp(amount, card: card)
        #expect(paid.status == 201)
        #expect(try paid.json()["status"] as? String == "succeeded")
        return (card, try paid.json()["id"] as! String)
    }

    /// An hourly block of 3 hours (£6.09 for the test driver's car), starting in two hours, from
    /// the wallet or by card.
    static func buyBlock(_ driver: TestDriver, card: String? = nil) async throws -> [String: Any] {
        let quote = try await driver.quote(["product": "hourly", "hours": 3,
                                            "starts_at": RFC3339Text.format(Date().addingTimeInterval(7200))]).json()
        var body: [String: Any] = ["quote_id": quote["id"]!]
        if let card { body["payment_method_id"] = card }
        let bought = try await driver.client.json("POST", "/v1/policies", body, token: driver.token,
                                                  headers: [("Idempotency-Key", UUID().uuidString)])
        #expect(bought.status == 201, "\(bought.text)")
        return try bought.json()
    }

    static func walletAPI(_ server: TestServer) -> Wallet {
        Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: PaymentOutcomes()))
    }

    // MARK: - refund (to the card)

    @Test func aTopUpIsRefundedToTheCardOnceEvenWhenTheConfirmationIsSentTwice() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await Self.topUp(driver, 2000)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)

        let page = try await staff.get("/admin/payments/\(payment)")
        #expect(page.text.contains("data-action=\"refund\""))
        let (plan, token) = try await staff.plan("refund", ["object": payment, "amount": "12.50", "reason": "requested_by_driver",
                                                           "note": "Topped up by mistake"])
        #expect(plan.status == 200)
        #expect(plan.text.contains("Refund £12.50 to Visa •4242 from payment \(payment.prefix(8)); balance after £7.50."), "\(plan.text)")
        #expect(plan.text.contains("£20.00 → £7.50"))
        #expect(try await Self.balances(driver).cash == 2000, "nothing moves before the confirmation")
        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 0)

        let id = try #require(token)
        let confirmed = try await staff.confirm("refund", token: id)
        #expect(confirmed.status == 303)
        #expect(confirmed.header("location") == "/admin/action-requests/\(id)")
        let again = try await staff.confirm("refund", token: id)
        #expect(again.header("location") == "/admin/action-requests/\(id)")
        let result = try await staff.get("/admin/action-requests/\(id)")
        #expect(result.text.contains("Refund £12.50 to Visa •4242 requested; the card processor confirms within minutes. £7.50 left to refund of this payment."),
                "\(result.text)")

        // Once in the wallet, once at the processor (the action's token is its idempotency key).
        #expect(try await Self.balances(driver).cash == 750)
        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 1250)
        let refunds = try await Self.transactions(driver).filter { $0["type"] as? String == "refund" }
        #expect(refunds.count == 1)
        #expect(refunds.first?["amount"] as? Int == -1250, "the money leaves the balance")
        #expect(refunds.first?["funding"] as? String == "wallet")
        #expect(refunds.first?["related_id"] as? String == payment)
        let stored = try await TestDatabase.pool.queryAll("""
            SELECT id, state, amount, ipt_amount, psp_refund_id FROM refunds.refunds WHERE payment_id = \(UUID(uuidString: payment)!)
            """) { (try $0.decode(UUID.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(Int64.self, at: 2),
                    try $0.decode(Int64.self, at: 3), try $0.decode(String?.self, at: 4)) }
        #expect(stored.count == 1)
        #expect(stored.first?.0 == UUID(uuidString: id), "the refund is the action's token")
        #expect(stored.first?.1 == "succeeded" && stored.first?.2 == 1250 && stored.first?.3 == 0, "no IPT in a top-up")
        #expect(stored.first?.4?.hasPrefix("re_") == true)

        // Exactly one audit event, by this member of staff, with the reason, before and after.
        let events = try await Self.events("refunds.refunded_to_card", object: payment)
        #expect(events.count == 1)
        #expect(events.first?.actor.hasPrefix("staff:") == true)
        #expect(events.first?.reason == "requested_by_driver" && events.first?.text == "Topped up by mistake")
        let snapshot = try #require(try await Self.snapshots("refunds.refunded_to_card", object: payment).first)
        #expect(snapshot.before?.contains("\"refundable_amount\": 2000") == true && snapshot.after?.contains("\"refundable_amount\": 750") == true)

        // More than what is left is refused with the amounts, and stores nothing.
        let (tooMuch, none) = try await staff.plan("refund", ["object": payment, "amount": "30.00", "reason": "requested_by_driver"])
        #expect(tooMuch.status == 422)
        #expect(tooMuch.text.contains("£30.00 asked, £7.50 left to refund of £20.00"), "\(tooMuch.text)")
        #expect(none == nil)
        let shown = try await staff.get("/admin/payments/\(payment)")
        #expect(shown.text.contains("/admin/refunds/\(id)"))
        try await expectLedgerConsistent()
    }

    @Test func aTopUpRefundNeverTakesTheCashBelowZero() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await Self.topUp(driver, 2000)
        _ = try await Self.buyBlock(driver)
        #expect(try await Self.balances(driver) == (1391, 0))
        try await TestDatabase.pool.withTransaction { transaction in
            try await Self.walletAPI(server).grantPromo(driverID: UUID(uuidString: driver.id)!, amount: 500, description: "Welcome back",
                                                        causedBy: "test:\(UUID())", at: Date(), on: transaction)
        }
        let staff = try await StaffBrowser.signedIn(server, role: .finance)
        // The whole top-up would take £20.00 out of £13.91 of cash: promotional credit is never paid out to a card.
        let (whole, _) = try await staff.plan("refund", ["object": payment, "reason": "requested_by_driver"])
        #expect(whole.status == 422)
        #expect(whole.text.contains("below £0.00"), "\(whole.text)")
        let (_, id) = try await staff.act("refund", ["object": payment, "amount": "13.91", "reason": "requested_by_driver"])
        #expect(try await Self.balances(driver) == (0, 500))
        #expect(try await Self.events("refunds.refunded_to_card", object: payment).count == 1)
        let (left, _) = try await staff.plan("refund", ["object": payment, "amount": "0.01", "reason": "requested_by_driver"])
        #expect(left.status == 422)
        #expect(!id.isEmpty)
        try await expectLedgerConsistent()
    }

    @Test func aCardPaidBlockIsRefundedInPartsNeverBeyondWhatItTook() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let policy = try await Self.buyBlock(driver, card: card)
        let policyID = policy["id"] as! String
        let payment = try #require(try await AdminMoneyTests.blockPayment(policyID))
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)

        let (plan, token) = try await staff.plan("refund", ["object": payment, "amount": "2", "reason": "goodwill"])
        #expect(plan.text.contains("Refund £2.00 to Visa •4242 from payment \(payment.prefix(8)); balance after £0.00."), "\(plan.text)")
        #expect(plan.text.contains("£0.00 (unchanged)"))
        #expect(plan.text.contains("the policy stays as it is"))
        _ = try await staff.confirm("refund", token: try #require(token))
        // Blank: all that is left.
        let (rest, restToken) = try await staff.plan("refund", ["object": payment, "reason": "goodwill"])
        #expect(rest.text.contains("Refund £4.09 to Visa •4242"))
        _ = try await staff.confirm("refund", token: try #require(restToken))
        let (nothing, _) = try await staff.plan("refund", ["object": payment, "amount": "0.01", "reason": "goodwill"])
        #expect(nothing.status == 422)
        #expect(nothing.text.contains("nothing is left to refund: £6.09 of £6.09 was refunded already"), "\(nothing.text)")

        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 609)
        #expect(try await Self.balances(driver) == (0, 0), "card money never touches the wallet")
        let refunds = try await Self.transactions(driver).filter { $0["type"] as? String == "refund" }
        #expect(refunds.map { $0["amount"] as? Int }.compactMap { $0 }.sorted() == [200, 409])
        #expect(refunds.allSatisfy { $0["funding"] as? String == "card" && $0["related_id"] as? String == policyID })
        #expect(refunds.map { $0["ipt_amount"] as? Int } .compactMap { $0 }.sorted() == [21, 44], "IPT given back in proportion")
        // A plain refund of money: the cover stays.
        let shown = try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()
        #expect(shown["status"] as? String == "scheduled")
        #expect(try await Self.events("refunds.refunded_to_card", object: payment).count == 2)
        try await expectLedgerConsistent()
    }

    @Test func aRefundOverFiftyPoundsWaitsForAnotherPersonAndExpires() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await Self.topUp(driver, 20_000)
        let maker = try await StaffBrowser.signedIn(server, role: .seniorOps, name: "Maker Mia")

        let (plan, token) = try await maker.plan("refund", ["object": payment, "amount": "60", "reason": "duplicate"])
        // (aRefundOverTheMakersCeilingNeedsApproval lowers the senior ops ceiling for a moment: it may be named too.)
        #expect(plan.text.contains("another person’s approval (a refund over £50.00"), "\(plan.text)")
        let id = try #require(token)
        let filed = try await maker.confirm("refund", token: id)
        #expect(filed.header("location") == "/admin/approvals/\(id)")
        #expect(try await Self.balances(driver).cash == 20_000, "nothing moves until someone approves")

        // The maker cannot approve their own refund; a role without money cannot either.
        #expect(try await maker.post("/admin/approvals/\(id)/approve", ["note": "mine"]).status == 403)
        let support = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await support.post("/admin/approvals/\(id)/approve", [:]).status == 403)
        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 0)

        let checker = try await StaffBrowser.signedIn(server, role: .finance, name: "Checker Chen")
        #expect(try await checker.get("/admin/approvals").text.contains("/admin/approvals/\(id)"))
        #expect(try await checker.post("/admin/approvals/\(id)/approve", ["note": "duplicate confirmed"]).status == 303)
        #expect(try await checker.post("/admin/approvals/\(id)/approve", [:]).status == 409, "approving twice does nothing")
        #expect(try await Self.balances(driver).cash == 14_000)
        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 6000)
        let events = try await Self.events("refunds.refunded_to_card", object: payment)
        #expect(events.count == 1)
        #expect(events.first?.approval == UUID(uuidString: id) && events.first?.reason == "duplicate")
        #expect(events.first?.actor.hasPrefix("staff:") == true)

        // An approval that expired (72 hours after filing) is never executed.
        let (_, late) = try await maker.act("refund", ["object": payment, "amount": "55", "reason": "duplicate"])
        try await TestDatabase.pool.execute("UPDATE admin.action_requests SET expires_at = now() - interval '1 minute' WHERE id = \(UUID(uuidString: late)!)")
        let expired = try await checker.post("/admin/approvals/\(late)/approve", [:])
        #expect(expired.status == 410)
        #expect(expired.text.contains("expired"))
        #expect(try await Self.balances(driver).cash == 14_000)
        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 6000)
        try await expectLedgerConsistent()
    }

    @Test func aRefundOverTheMakersCeilingNeedsApproval() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let key = "refund_ceiling_senior_ops_amount"
        let engineer = try await StaffBrowser.signedIn(server, role: .engineer)
        let second = try await StaffBrowser.signedIn(server, role: .engineer)
        // Changing a ceiling is itself four-eyes.
        let (_, change) = try await engineer.act("change_money_setting", ["object": key, "value": "3000", "reason": "other", "note": "ceiling test"])
        // Engineers are read-only on money: another engineer cannot approve a money threshold; finance can.
        #expect(try await second.post("/admin/approvals/\(change)/approve", [:]).status == 403)
        let approver = try await StaffBrowser.signedIn(server, role: .finance)
        #expect(try await approver.post("/admin/approvals/\(change)/approve", [:]).status == 303)

        let driver = try await TestDriver.make(server)
        let (_, payment) = try await Self.topUp(driver, 5000)
        let seniorOps = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        // Every process picks a changed setting up within 5 seconds.
        #expect(try await eventually(8) {
            try await seniorOps.plan("refund", ["object": payment, "amount": "40", "reason": "goodwill"]).page.text
                .contains("over the senior ops refund ceiling of £30.00")
        })
        let (financePlan, financeToken) = try await finance.plan("refund", ["object": payment, "amount": "40", "reason": "goodwill"])
        #expect(!financePlan.text.contains("another person’s approval"), "finance's ceiling is £500.00 and £40 is under £50")
        #expect(try await finance.confirm("refund", token: try #require(financeToken)).header("location")?.hasPrefix("/admin/action-requests/") == true)
        #expect(try await Self.balances(driver).cash == 1000)

        let (_, back) = try await second.act("change_money_setting", ["object": key, "value": "5000", "reason": "other", "note": "restore"])
        #expect(try await approver.post("/admin/approvals/\(back)/approve", [:]).status == 303)
        try await expectLedgerConsistent()
    }

    @Test func supportSeesNoRefundFormAndIsRefused() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await Self.topUp(driver, 2000)
        for role in [StaffRole.support, .claims, .engineer] {
            let staff = try await StaffBrowser.signedIn(server, role: role)
            let page = try await staff.get("/admin/payments/\(payment)")
            #expect(page.status == 200)
            #expect(!page.text.contains("data-action=\"refund\""), "\(role)")
            let (plan, token) = try await staff.plan("refund", ["object": payment, "amount": "5", "reason": "goodwill"])
            #expect(plan.status == 403, "\(role)")
            #expect(token == nil)
            #expect(try await staff.post("/admin/actions/refund/confirm", ["token": UUID().uuidString]).status == 403)
        }
        #expect(try await Self.balances(driver).cash == 2000)
        // A failed payment has nothing to refund and offers no form.
        let card = try await driver.addCard("tok_declined")
        let failed = try await driver.topUp(1000, card: card).json()["id"] as! String
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(!(try await staff.get("/admin/payments/\(failed)")).text.contains("data-action=\"refund\""))
        #expect(try await staff.plan("refund", ["object": failed, "reason": "goodwill"]).page.status == 422)
        #expect(try await staff.plan("refund", ["object": UUID().uuidString, "reason": "goodwill"]).page.status == 404)
    }

    // MARK: - refund_to_wallet

    @Test func aWalletPaidBlockGoesBackToTheWalletPromoAsPromoNeverMoreThanItTook() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, topUp) = try await Self.topUp(driver, 2000)
        try await TestDatabase.pool.withTransaction { transaction in
            try await Self.walletAPI(server).grantPromo(driverID: UUID(uuidString: driver.id)!, amount: 500, description: "Welcome",
                                                        causedBy: "test:\(UUID())", at: Date(), on: transaction)
        }
        let policy = try await Self.buyBlock(driver)
        #expect(try await Self.balances(driver) == (1891, 0))  // £6.09 = £5.00 promo + £1.09 cash
        let purchase = try #require(try await Self.transactions(driver).first { $0["type"] as? String == "block_purchase" }?["id"] as? String)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)

        let wallet = try await staff.get("/admin/wallets/\(driver.id)")
        #expect(wallet.text.contains("data-action=\"refund_to_wallet\""))
        #expect(wallet.text.contains("value=\"\(purchase)\""), "the latest purchases are offered")
        let (plan, token) = try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": purchase, "amount": "3.00",
                                                                     "reason": "ops_error", "note": "cover started late"])
        #expect(plan.status == 200, "\(plan.text)")
        #expect(plan.text.contains("Refund £3.00 of the hourly block"))
        #expect(plan.text.contains("as promotional credit (it was paid with it); balance after £18.91."))
        #expect(plan.text.contains("£0.00 → £3.00"))
        _ = try await staff.confirm("refund_to_wallet", token: try #require(token))
        #expect(try await Self.balances(driver) == (1891, 300))

        let (tooMuch, _) = try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": purchase, "amount": "4",
                                                                    "reason": "ops_error"])
        #expect(tooMuch.status == 422)
        #expect(tooMuch.text.contains("£4.00 asked, £3.09 left to refund of £6.09"), "\(tooMuch.text)")
        let (rest, restToken) = try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": purchase, "reason": "ops_error"])
        #expect(rest.text.contains("£1.09 as cash and £2.00 as promotional credit"), "\(rest.text)")
        #expect(rest.text.contains("£18.91 → £20.00"))
        _ = try await staff.confirm("refund_to_wallet", token: try #require(restToken))
        #expect(try await Self.balances(driver) == (2000, 500), "promo came back as promo, never as cash")
        let (nothing, _) = try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": purchase, "reason": "ops_error"])
        #expect(nothing.status == 422)
        #expect(nothing.text.contains("nothing is left to refund"))

        // Only purchases paid from the wallet: not a top-up, not another driver's posting.
        let topUpPosting = try #require(try await Self.transactions(driver).first { $0["type"] as? String == "top_up" }?["id"] as? String)
        #expect(try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": topUpPosting, "reason": "ops_error"]).page.status == 422)
        let other = try await TestDriver.make(server)
        #expect(try await staff.plan("refund_to_wallet", ["object": other.id, "transaction": purchase, "reason": "ops_error"]).page.status == 404)
        #expect(try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": "nope", "reason": "ops_error"]).page.status == 422)

        let refunds = try await Self.transactions(driver).filter { $0["type"] as? String == "refund" }
        #expect(refunds.count == 2)
        #expect(refunds.allSatisfy { $0["related_id"] as? String == policy["id"] as? String })
        #expect(Set(refunds.compactMap { $0["funding"] as? String }) == ["promo", "mixed"])
        let events = try await Self.events("wallet.refunded", object: driver.id)
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.actor.hasPrefix("staff:") && $0.reason == "ops_error" })
        #expect(topUp.isEmpty == false)
        try await expectLedgerConsistent()
    }

    @Test func aSessionChargeGoesBackToTheWalletAndACardPaidBlockDoesNot() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (card, _) = try await Self.topUp(driver, 2000)
        let cardBlock = try await Self.buyBlock(driver, card: card)
        let quote = try await driver.quote().json()
        let payg = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()
        #expect(try await driver.client.json("POST", "/v1/policies/\(payg["id"]!)/sessions", token: driver.token).status == 201)
        #expect(try await eventually { try await Self.transactions(driver).contains { $0["type"] as? String == "session_charge" } })
        let charge = try #require(try await Self.transactions(driver).first { $0["type"] as? String == "session_charge" })
        let charged = -(charge["amount"] as! Int)
        #expect(try await Self.balances(driver).cash == 2000 - charged)

        let staff = try await StaffBrowser.signedIn(server, role: .finance)
        let (plan, token) = try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": charge["id"] as! String,
                                                                     "reason": "requested_by_driver"])
        #expect(plan.text.contains("of the cover session"), "\(plan.text)")
        _ = try await staff.confirm("refund_to_wallet", token: try #require(token))
        #expect(try await Self.balances(driver).cash == 2000)
        let refund = try #require(try await Self.transactions(driver).first { $0["type"] as? String == "refund" })
        #expect(refund["amount"] as? Int == charged && refund["related_id"] as? String == charge["related_id"] as? String)

        let cardPurchase = try #require(try await Self.transactions(driver).first {
            $0["type"] as? String == "block_purchase" && $0["related_id"] as? String == cardBlock["id"] as? String
        })
        let (refused, _) = try await staff.plan("refund_to_wallet", ["object": driver.id, "transaction": cardPurchase["id"] as! String,
                                                                    "reason": "requested_by_driver"])
        #expect(refused.status == 422)
        #expect(refused.text.contains("paid by card"))
        try await expectLedgerConsistent()
    }

    /// A staff refund and the policy's own cancellation refund never give back more than was paid together.
    @Test func aCancellationAfterAStaffRefundGivesBackOnlyWhatIsLeft() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (card, _) = try await Self.topUp(driver, 2000)
        let staff = try await StaffBrowser.signedIn(server, role: .finance)

        // By card: £2.00 back by staff, then the cancellation (before the start: everything) gives the other £4.09.
        let byCard = try await Self.buyBlock(driver, card: card)
        let payment = try #require(try await AdminMoneyTests.blockPayment(byCard["id"] as! String))
        _ = try await staff.act("refund", ["object": payment, "amount": "2.00", "reason": "goodwill"])
        let cancelled = try await driver.client.json("POST", "/v1/policies/\(byCard["id"]!)/cancel", token: driver.token)
        #expect(cancelled.status == 200)
        #expect((try cancelled.json()["refund"] as? [String: Any])?["amount"] as? Int == 409)
        #expect(try await Self.refundedAtProcessor(psp, payment: payment) == 609)

        // From the wallet: £3.00 back by staff, then the cancellation gives the other £3.09.
        let fromWallet = try await Self.buyBlock(driver)
        #expect(try await Self.balances(driver).cash == 1391)
        let purchase = try #require(try await Self.transactions(driver).first {
            $0["type"] as? String == "block_purchase" && $0["related_id"] as? String == fromWallet["id"] as? String
        }?["id"] as? String)
        _ = try await staff.act("refund_to_wallet", ["object": driver.id, "transaction": purchase, "amount": "3", "reason": "goodwill"])
        #expect(try await driver.client.json("POST", "/v1/policies/\(fromWallet["id"]!)/cancel", token: driver.token).status == 200)
        #expect(try await Self.balances(driver).cash == 2000, "£6.09 back in all, not £9.09")
        try await expectLedgerConsistent()
    }

    // MARK: - adjust_wallet

    @Test func cashIsAdjustedUpAndDownNeverBelowZeroAndOverTwentyPoundsWithApproval() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        _ = try await Self.topUp(driver, 1000)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await staff.get("/admin/wallets/\(driver.id)").text.contains("data-action=\"adjust_wallet\""))

        let (up, upToken) = try await staff.plan("adjust_wallet", ["object": driver.id, "direction": "credit", "amount": "5",
                                                                  "description": "Missed payout", "reason": "ops_error"])
        #expect(up.text.contains("Add £5.00 to this driver’s cash balance (“Missed payout”); balance after £15.00."), "\(up.text)")
        #expect(up.text.contains("£10.00 → £15.00"))
        #expect(try await Self.balances(driver).cash == 1000)
        _ = try await staff.confirm("adjust_wallet", token: try #require(upToken))
        #expect(try await Self.balances(driver).cash == 1500)
        let (_, down) = try await staff.act("adjust_wallet", ["object": driver.id, "direction": "debit", "amount": "3.00", "reason": "duplicate"])
        #expect(try await Self.balances(driver).cash == 1200)
        #expect(!down.isEmpty)

        let (below, _) = try await staff.plan("adjust_wallet", ["object": driver.id, "direction": "debit", "amount": "20", "reason": "duplicate"])
        #expect(below.status == 422)
        #expect(below.text.contains("below £0.00"))
        #expect(try await staff.plan("adjust_wallet", ["object": driver.id, "direction": "sideways", "amount": "2", "reason": "duplicate"]).page.status == 422)
        #expect(try await staff.plan("adjust_wallet", ["object": driver.id, "direction": "credit", "reason": "duplicate"]).page.status == 422)

        // Over £20 (wallet_adjustment_four_eyes_over_amount): another person approves.
        let (big, bigToken) = try await staff.plan("adjust_wallet", ["object": driver.id, "direction": "credit", "amount": "25", "reason": "goodwill"])
        // (AdminActionTests raises the threshold to £21 for a moment: the amount shown may differ;
        // the £8 adjusted above counts towards it: pieces add up over 24 hours.)
        #expect(big.text.contains("another person’s approval (wallet adjustments and credit over £"))
        let id = try #require(bigToken)
        #expect(try await staff.confirm("adjust_wallet", token: id).header("location") == "/admin/approvals/\(id)")
        #expect(try await staff.post("/admin/approvals/\(id)/approve", [:]).status == 403)
        let checker = try await StaffBrowser.signedIn(server, role: .finance)
        #expect(try await checker.post("/admin/approvals/\(id)/approve", [:]).status == 303)
        #expect(try await Self.balances(driver).cash == 3700)

        let adjustments = try await Self.transactions(driver).filter { $0["type"] as? String == "adjustment" }
        #expect(adjustments.compactMap { $0["amount"] as? Int } == [2500, -300, 500])
        #expect(adjustments.first { $0["amount"] as? Int == 500 }?["description"] as? String == "Missed payout")
        let events = try await Self.events("wallet.adjusted", object: driver.id)
        #expect(events.count == 3)
        #expect(events.last?.approval == UUID(uuidString: id))
        let snapshot = try #require(try await Self.snapshots("wallet.adjusted", object: driver.id).first)
        #expect(snapshot.before?.contains("\"balance_amount\": 1000") == true && snapshot.after?.contains("\"balance_amount\": 1500") == true)
        try await expectLedgerConsistent()
    }

    // MARK: - write_off

    @Test func aNegativeBalanceIsWrittenOffOnlyWithApprovalAndOnlyAsShown() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let driverID = UUID(uuidString: driver.id)!
        // A running session is never stopped for money: the balance can fall below zero.
        try await TestDatabase.pool.withTransaction { transaction in
            try await Self.walletAPI(server).spend(driverID: driverID, gross: 700, ipt: 75, kind: .sessionCharge, description: "Cover session",
                                                   causedBy: "test:\(UUID())", relatedID: UUID(), at: Date(), allowOverdraft: true, on: transaction)
        }
        #expect(try await Self.balances(driver).cash == -700)
        let maker = try await StaffBrowser.signedIn(server, role: .finance)
        #expect(try await maker.get("/admin/wallets/\(driver.id)").text.contains("data-action=\"write_off\""))
        let (plan, token) = try await maker.plan("write_off", ["object": driver.id, "reason": "other", "note": "unreachable since May"])
        #expect(plan.text.contains("Write off the £7.00 this driver owes (a cash balance of −£7.00) to bad debt; balance after £0.00."), "\(plan.text)")
        #expect(plan.text.contains("−£7.00 → £0.00"))
        #expect(plan.text.contains("another person’s approval (every write-off)"))
        let id = try #require(token)
        #expect(try await maker.confirm("write_off", token: id).header("location") == "/admin/approvals/\(id)")
        #expect(try await maker.post("/admin/approvals/\(id)/approve", [:]).status == 403)
        #expect(try await Self.balances(driver).cash == -700)
        let checker = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await checker.post("/admin/approvals/\(id)/approve", ["note": "agreed"]).status == 303)
        #expect(try await Self.balances(driver).cash == 0)
        let line = try #require(try await Self.transactions(driver).first { $0["type"] as? String == "write_off" })
        #expect(line["amount"] as? Int == 700 && line["funding"] as? String == "wallet")
        let events = try await Self.events("wallet.written_off", object: driver.id)
        #expect(events.count == 1 && events.first?.approval == UUID(uuidString: id) && events.first?.reason == "other")

        // Nothing to write off: no form, and the action is refused.
        #expect(!(try await maker.get("/admin/wallets/\(driver.id)")).text.contains("data-action=\"write_off\""))
        let (nothing, _) = try await maker.plan("write_off", ["object": driver.id, "reason": "goodwill"])
        #expect(nothing.status == 422)
        #expect(nothing.text.contains("only a negative balance can be written off"))

        // The balance moved after it was asked for: approving writes nothing off.
        try await TestDatabase.pool.withTransaction { transaction in
            try await Self.walletAPI(server).spend(driverID: driverID, gross: 300, ipt: 32, kind: .sessionCharge, description: "Cover session",
                                                   causedBy: "test:\(UUID())", relatedID: UUID(), at: Date(), allowOverdraft: true, on: transaction)
        }
        let (_, stale) = try await maker.act("write_off", ["object": driver.id, "reason": "goodwill"])
        _ = try await Self.topUp(driver, 1000)
        let conflict = try await checker.post("/admin/approvals/\(stale)/approve", [:])
        #expect(conflict.status == 409)
        #expect(conflict.text.contains("the balance changed"))
        #expect(try await Self.balances(driver).cash == 700)
        #expect(try await Self.events("wallet.written_off", object: driver.id).count == 1)
        try await expectLedgerConsistent()
    }

    // MARK: - grant_credit and grant-promo

    @Test func grantPromoOnTheCommandLineTakesTheSamePathAsGrantCredit() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let email = try #require(try await driver.client.json("GET", "/v1/me", token: driver.token).json()["email"] as? String)
        func run(_ arguments: [String]) async throws -> Int32 {
            var environment = ProcessInfo.processInfo.environment
            environment["HOURGLASS_ENV"] = "test"
            environment["DATABASE_URL"] = TestDatabase.url
            environment["USER"] = "ops-oncall"
            let process = try ChildProcess(executable: ServerProcess.executable, arguments: ["grant-promo", "--email", email] + arguments, environment: environment,
                                           directory: TestServer.repositoryRoot, standardOutput: .discard, standardError: .discard)
            let exitStatus = await process.waitUntilExit()
            return exitStatus
        }
        let reference = "cli-\(driver.id)"
        #expect(try await run(["--amount", "400", "--reason", "Sorry for the wait", "--reference", reference, "--reason-code", "other"]) != 0,
                "other needs a note")
        #expect(try await run(["--amount", "400", "--reason", "Sorry for the wait", "--reference", reference, "--reason-code", "because"]) != 0)
        #expect(try await run(["--amount", "400", "--reason", "Sorry for the wait", "--reference", reference,
                               "--reason-code", "ops_error", "--note", "ticket 4411"]) == 0)
        #expect(try await run(["--amount", "400", "--reason", "Sorry for the wait", "--reference", reference]) == 0, "same reference: no-op")
        #expect(try await Self.balances(driver) == (0, 400))

        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        _ = try await staff.act("grant_credit", ["object": driver.id, "amount": "1.00", "reason": "goodwill", "description": "Thanks"])
        #expect(try await Self.balances(driver) == (0, 500))

        let events = try await Self.events("wallet.promo_granted", object: driver.id)
        #expect(events.count == 2)
        #expect(events.first?.actor == "cli:ops-oncall" && events.first?.reason == "ops_error" && events.first?.text == "ticket 4411")
        #expect(events.last?.actor.hasPrefix("staff:") == true && events.last?.reason == "goodwill")
        let snapshots = try await Self.snapshots("wallet.promo_granted", object: driver.id)
        #expect(snapshots.first?.before?.contains("\"promo_balance_amount\": 0") == true)
        #expect(snapshots.last?.before?.contains("\"promo_balance_amount\": 400") == true && snapshots.last?.after?.contains("\"promo_balance_amount\": 500") == true)
        let credits = try await Self.transactions(driver).filter { $0["type"] as? String == "promo_credit" }
        #expect(credits.compactMap { $0["description"] as? String } == ["Thanks", "Sorry for the wait"])
        try await expectLedgerConsistent()
    }
}
