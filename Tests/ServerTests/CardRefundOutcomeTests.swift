import AppKernel
import Foundation
@testable import Hourglass
import Identity
import Ledger
import Payments
import Postgres
import Refunds
import SandboxPSP
import TestSupport
import Testing
import Wallet

/// What a card refund's record says is what the card processor did (the reviewer's defects 1–3):
/// a staff refund is committed before the processor is called, so nothing after the call can
/// lose it and its retries use the same key; a refund the processor has not finished stays
/// pending and is booked only when it succeeds, and one that fails after it was booked is
/// reversed by a new posting; a cancellation after a staff refund promises and records only
/// what is left to give back.
@Suite(.tags(.database)) struct CardRefundOutcomeTests {
    static func refund(_ id: String) async throws -> (state: String, processorID: String?)? {
        try await TestDatabase.pool.queryOptional("SELECT state, psp_refund_id FROM refunds.refunds WHERE id = \(UUID(uuidString: id)!)") {
            (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1))
        }
    }

    static func refundLines(_ driver: TestDriver) async throws -> [Int] {
        try await MoneyActionTests.transactions(driver).filter { $0["type"] as? String == "refund" }.compactMap { $0["amount"] as? Int }.sorted()
    }

    /// The refunds sweep (`refunds.complete_pending`) for one driver, talking to this server's processor.
    static func sweep(_ server: TestServer, _ psp: InProcessSandboxPSP, _ driver: TestDriver) async {
        let payments = Payments(app: server.app, gateway: PSPClient(baseURL: URL(string: psp.baseURL)!, apiKey: psp.apiKey),
                                outcomes: PaymentOutcomes())
        await Refunds(app: server.app, wallet: Wallet(app: server.app, payments: payments)).completePending(driverIDs: [UUID(uuidString: driver.id)!])
    }

    // MARK: - Defect 1: the processor is called after the commit

    /// The processor refunds but its answer is lost (and no event comes): the refund, its audit
    /// event and the action's result were committed before the call, the same money cannot be
    /// refunded again under a new token, and the sweep sends it again with the same key.
    @Test func aLostProcessorAnswerLeavesTheRefundPendingAndTheSweepBooksItOnce() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await MoneyActionTests.topUp(driver, 2000)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        psp.psp.setWebhookURL(nil)
        psp.psp.loseRefundAnswers(true)

        let (confirmed, id) = try await staff.act("refund", ["object": payment, "amount": "12.50", "reason": "requested_by_driver"])
        #expect(confirmed.status == 303, "\(confirmed.text.prefix(600))")
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: payment) == 1250, "the processor did refund")
        #expect(try await Self.refund(id)?.state == "pending")
        #expect(try await MoneyActionTests.events("refunds.refunded_to_card", object: payment).count == 1)
        let result = try await staff.get("/admin/action-requests/\(id)")
        #expect(result.text.contains("Refund £12.50 to Visa •4242 requested; the card processor confirms within minutes."), "\(result.text)")
        #expect(try await MoneyActionTests.balances(driver).cash == 2000, "booked only once the processor says it succeeded")
        #expect(try await Self.refundLines(driver).isEmpty)

        // Staff try again from the payment page: what is on its way counts as refunded.
        let (again, none) = try await staff.plan("refund", ["object": payment, "amount": "20.00", "reason": "requested_by_driver"])
        #expect(again.status == 422)
        #expect(again.text.contains("£20.00 asked, £7.50 left to refund of £20.00"), "\(again.text)")
        #expect(none == nil)

        // The sweep sends it again with the refund's id as the key: the processor answers with
        // the refund it made, which is booked once.
        psp.psp.loseRefundAnswers(false)
        await Self.sweep(server, psp, driver)
        #expect(try await Self.refund(id)?.state == "succeeded")
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: payment) == 1250, "never refunded twice")
        #expect(try await MoneyActionTests.balances(driver).cash == 750)
        await Self.sweep(server, psp, driver)
        #expect(try await Self.refundLines(driver) == [-1250])
        try await expectLedgerConsistent()
    }

    /// While the processor's answer is on its way the refund is already committed: the
    /// processor's own event finds and books it, and the driver's wallet is not locked.
    @Test func theRefundIsCommittedBeforeTheProcessorAnswersAndItsEventBooksIt() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await MoneyActionTests.topUp(driver, 2000)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let (_, token) = try await staff.plan("refund", ["object": payment, "amount": "12.50", "reason": "requested_by_driver"])
        let id = try #require(token)

        psp.psp.holdRefundAnswers(true)
        let confirming = Task { try await staff.confirm("refund", token: id) }
        #expect(try await eventually { try await MoneyActionTests.refundedAtProcessor(psp, payment: payment) == 1250 })
        #expect(try await eventually { try await Self.refund(id)?.state == "succeeded" }, "the processor's event found the refund and booked it")
        // Nothing holds the driver's wallet over the network call.
        try await TestDatabase.pool.withTransaction { transaction in
            _ = try await transaction.query("SET LOCAL lock_timeout = '2s'")
            try await Ledger().lockWallet(of: UUID(uuidString: driver.id)!, on: transaction)
        }
        psp.psp.holdRefundAnswers(false)
        #expect(try await confirming.value.status == 303)

        #expect(try await MoneyActionTests.balances(driver).cash == 750)
        #expect(try await Self.refundLines(driver) == [-1250])
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: payment) == 1250)
        #expect(try await AdminActionTests.auditEvents("refunds.succeeded", object: id).count == 1)
        try await expectLedgerConsistent()
    }

    // MARK: - Defect 2: pending until the processor says, reversed if it fails later

    /// A refund the processor accepts as `pending` stays pending (and the sweep leaves it to the
    /// processor); it is booked when the processor reports success; if the processor then
    /// reports it failed, a reversing posting undoes it, once, with one `refunds.failed` event.
    @Test func aPendingTopUpRefundIsBookedWhenItSucceedsAndReversedWhenItFailsLater() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let processor = ProcessorSide(psp: psp, serverPort: server.port)
        let driver = try await TestDriver.make(server)
        let (_, payment) = try await MoneyActionTests.topUp(driver, 2000)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        psp.psp.answerRefundsPending(true)

        let (_, id) = try await staff.act("refund", ["object": payment, "amount": "12.50", "reason": "requested_by_driver"])
        let accepted = try #require(try await Self.refund(id))
        #expect(accepted.state == "pending", "the processor has not refunded it yet")
        let processorID = try #require(accepted.processorID)
        #expect(try await MoneyActionTests.balances(driver).cash == 2000)
        #expect(try await Self.refundLines(driver).isEmpty)
        #expect(try await staff.get("/admin/refunds/\(id)").text.contains("accepted by the processor, not yet confirmed"))
        await Self.sweep(server, psp, driver)
        #expect(try await Self.refund(id)?.state == "pending")
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: payment) == 1250)

        #expect(psp.psp.settleRefund(processorID, succeeded: true))
        #expect(try await eventually { try await Self.refund(id)?.state == "succeeded" })
        #expect(try await MoneyActionTests.balances(driver).cash == 750)
        #expect(try await Self.refundLines(driver) == [-1250])

        // Later the processor reports that it failed after all: the cash comes back by a new posting.
        #expect(psp.psp.settleRefund(processorID, succeeded: false))
        #expect(try await eventually { try await Self.refund(id)?.state == "failed" })
        #expect(try await MoneyActionTests.balances(driver).cash == 2000)
        #expect(try await Self.refundLines(driver) == [-1250, 1250])
        #expect(try await AdminActionTests.auditEvents("refunds.failed", object: id).count == 1)
        // The same report again (another event) changes nothing and records nothing.
        let failed: [String: Any] = ["id": processorID, "object": "refund", "amount": 1250, "payment_intent": "pi_whatever", "status": "failed",
                                     "currency": "gbp", "metadata": ["refund_id": id]]
        #expect(try await processor.deliver("refund.failed", object: failed).status == 200)
        #expect(try await MoneyActionTests.balances(driver).cash == 2000)
        #expect(try await Self.refundLines(driver) == [-1250, 1250])
        #expect(try await AdminActionTests.auditEvents("refunds.failed", object: id).count == 1)
        // Nothing of it is on its way any more: all of the top-up can be refunded again.
        let (whole, _) = try await staff.plan("refund", ["object": payment, "reason": "requested_by_driver"])
        #expect(whole.text.contains("Refund £20.00 to Visa •4242"), "\(whole.text.prefix(600))")
        try await expectLedgerConsistent()
    }

    /// A block's card refund: one the processor fails while pending was never booked (no
    /// posting); one it fails after success gives premium and IPT back by a reversing posting.
    @Test func aBlockRefundThatFailsIsNeverBookedOrIsReversed() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let policy = try await MoneyActionTests.buyBlock(driver, card: card)
        let payment = try #require(try await AdminMoneyTests.blockPayment(policy["id"] as! String))
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        psp.psp.answerRefundsPending(true)

        let (_, first) = try await staff.act("refund", ["object": payment, "amount": "2.00", "reason": "goodwill"])
        let firstID = try #require(try await Self.refund(first)?.processorID)
        #expect(psp.psp.settleRefund(firstID, succeeded: false))
        #expect(try await eventually { try await Self.refund(first)?.state == "failed" })
        #expect(try await Self.refundLines(driver).isEmpty, "never booked, nothing to reverse")
        #expect(try await AdminActionTests.auditEvents("refunds.failed", object: first).count == 1)

        let (_, second) = try await staff.act("refund", ["object": payment, "amount": "3.00", "reason": "goodwill"])
        let secondID = try #require(try await Self.refund(second)?.processorID)
        #expect(psp.psp.settleRefund(secondID, succeeded: true))
        #expect(try await eventually { try await Self.refund(second)?.state == "succeeded" })
        #expect(try await Self.refundLines(driver) == [300])
        #expect(psp.psp.settleRefund(secondID, succeeded: false))
        #expect(try await eventually { try await Self.refund(second)?.state == "failed" })
        let lines = try await MoneyActionTests.transactions(driver).filter { $0["type"] as? String == "refund" }
        #expect(lines.compactMap { $0["amount"] as? Int }.sorted() == [-300, 300])
        #expect(lines.compactMap { $0["ipt_amount"] as? Int }.sorted() == [-32, 32], "IPT given back and taken back in proportion")
        #expect(lines.allSatisfy { $0["funding"] as? String == "card" && $0["related_id"] as? String == policy["id"] as? String })
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: payment) == 0)
        let (whole, _) = try await staff.plan("refund", ["object": payment, "reason": "goodwill"])
        #expect(whole.text.contains("Refund £6.09 to Visa •4242"), "\(whole.text.prefix(600))")
        try await expectLedgerConsistent()
    }

    // MARK: - Defect 3: a cancellation promises only what is left

    /// After staff refunded a block's card payment, cancelling it promises, records and reports
    /// only what is left: nothing after a full refund, the rest after a part.
    @Test func aCancellationAfterAStaffRefundPromisesAndRecordsOnlyWhatIsLeft() async throws {
        let (server, psp) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)

        // Refunded in full by staff, then cancelled by staff.
        let full = try await MoneyActionTests.buyBlock(driver, card: card)
        let fullID = full["id"] as! String
        let fullPayment = try #require(try await AdminMoneyTests.blockPayment(fullID))
        _ = try await staff.act("refund", ["object": fullPayment, "reason": "goodwill"])
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: fullPayment) == 609)
        let (plan, token) = try await staff.plan("cancel_policy", ["object": fullID, "reason": "requested_by_driver"])
        let effect = try #require(AdminPageReader(plan).text("effect"), "\(plan.text.prefix(800))")
        #expect(effect.contains("No refund: the £6.09 its unused hours are worth was refunded already"), "\(effect)")
        #expect(!effect.contains("Refund £6.09 to"), "\(effect)")
        #expect(try await staff.confirm("cancel_policy", token: try #require(token)).status == 303)
        let cancelled = try await driver.client.json("GET", "/v1/policies/\(fullID)", token: driver.token).json()
        #expect(cancelled["status"] as? String == "cancelled")
        #expect(cancelled["refund_amount"] as? Int == 0, "\(cancelled)")
        #expect(cancelled["refund"] is NSNull)
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: fullPayment) == 609)

        // Refunded in part (£2.00) by staff: the confirmation page offers the £4.09 left, and the
        // driver's own cancellation records and reports it.
        let part = try await MoneyActionTests.buyBlock(driver, card: card)
        let partID = part["id"] as! String
        let partPayment = try #require(try await AdminMoneyTests.blockPayment(partID))
        _ = try await staff.act("refund", ["object": partPayment, "amount": "2.00", "reason": "goodwill"])
        let (partPlan, _) = try await staff.plan("cancel_policy", ["object": partID, "reason": "requested_by_driver"])
        let partEffect = try #require(AdminPageReader(partPlan).text("effect"))
        #expect(partEffect.contains("Refund £4.09 to Visa •4242"), "\(partEffect)")
        #expect(partEffect.contains("its unused hours are worth £6.09; £2.00 of that was refunded already"), "\(partEffect)")
        let answer = try await driver.client.json("POST", "/v1/policies/\(partID)/cancel", token: driver.token)
        #expect(answer.status == 200)
        let json = try answer.json()
        #expect(json["refund_amount"] as? Int == 409, "\(json)")
        #expect((json["refund"] as? [String: Any])?["amount"] as? Int == 409)
        #expect(try await MoneyActionTests.refundedAtProcessor(psp, payment: partPayment) == 609)
        try await expectLedgerConsistent()
    }
}
