import AppKernel
import HTTPServer
import Identity
import Foundation
@testable import Hourglass
import Ledger
import Payments
import Postgres
import Reconciliation
import SandboxPSP
import TestSupport
import Testing
import Wallet

/// Issue #13, the processor's side end to end: card movements book clearing legs that carry the
/// processor's own ids, the sandbox processor pays them out, its `payout.paid` queues a job that
/// fetches the payout's itemised report, and reconciliation matches every line and books the
/// payout (bank, fees, clearing relieved).
@Suite(.tags(.database)) struct ReconciliationPayoutTests {
    /// A driver who topped up £20.00 and bought a block by card, and was refunded £5.00 of the
    /// top-up to the card by staff.
    struct Scene {
        let server: TestServer
        let psp: InProcessSandboxPSP
        let driver: TestDriver
        let staff: StaffBrowser
        let topUp: UUID
        let block: UUID
        let refund: UUID
        let blockAmount: Int64

        static func make(jobs: Bool = true) async throws -> Scene {
            let (server, psp) = try Fixtures.serverWithPSP(jobs: jobs)
            let driver = try await TestDriver.make(server)
            let (card, topUp) = try await MoneyActionTests.topUp(driver, 2000)
            let block = try await MoneyActionTests.buyBlock(driver, card: card)
            let blockPayment = try #require((block["payment"] as? [String: Any])?["id"] as? String)
            let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
            let (refunded, _) = try await staff.act("refund", ["object": topUp, "amount": "5.00", "reason": "requested_by_driver"])
            #expect(refunded.status == 303, "\(refunded.text.prefix(600))")
            let refundID = try await TestDatabase.pool.queryValue(
                "SELECT id FROM refunds.refunds WHERE payment_id = \(UUID(uuidString: topUp)!)", as: UUID.self)
            #expect(try await eventually {
                try await TestDatabase.pool.queryValue("SELECT state FROM refunds.refunds WHERE id = \(refundID)", as: String.self) == "succeeded"
            })
            let blockAmount = try await TestDatabase.pool.queryValue(
                "SELECT amount FROM payments.payments WHERE id = \(UUID(uuidString: blockPayment)!)", as: Int64.self)
            return Scene(server: server, psp: psp, driver: driver, staff: staff, topUp: UUID(uuidString: topUp)!, block: UUID(uuidString: blockPayment)!,
                         refund: refundID, blockAmount: blockAmount)
        }

        /// What the payout of the three movements brings to the bank: each charge less 1.5% + 20p.
        var expectedPayout: Int64 { (2000 - 50) + (blockAmount - Self.fee(blockAmount)) - 500 }
        var expectedFees: Int64 { 50 + Self.fee(blockAmount) }
        static func fee(_ amount: Int64) -> Int64 { (amount * 15 + 500) / 1000 + 20 }
    }

    static func clearingReference(ofTransaction id: UUID) async throws -> String? {
        try await TestDatabase.pool.queryValue("SELECT external_ref FROM ledger.clearing_legs WHERE transaction_id = \(id)", as: String?.self)
    }

    static func chargeID(ofPayment id: UUID) async throws -> String? {
        try await TestDatabase.pool.queryValue("SELECT psp_charge_id FROM payments.payments WHERE id = \(id)", as: String?.self)
    }

    static func job(forPayout payoutID: String) async throws -> (status: String, attempts: Int, error: String?)? {
        try await TestDatabase.pool.queryOptional("""
            SELECT status, attempts, last_error FROM jobs.jobs WHERE unique_key = \(Reactions.payoutReportJobKey(payoutID))
            """) { (try $0.decode(String.self, at: 0), Int(try $0.decode(Int32.self, at: 1)), try $0.decode(String?.self, at: 2)) }
    }

    static func runs(forPayout payoutID: String) async throws -> [(id: UUID, lines: Int, matched: Int, exceptions: Int, source: String)] {
        try await TestDatabase.pool.queryAll("""
            SELECT id, line_count, matched_count, exception_count, source FROM reconciliation.runs WHERE payout_id = \(payoutID)
            """) { (try $0.decode(UUID.self, at: 0), Int(try $0.decode(Int32.self, at: 1)), Int(try $0.decode(Int32.self, at: 2)),
                    Int(try $0.decode(Int32.self, at: 3)), try $0.decode(String.self, at: 4)) }
    }

    /// Settlement postings booked by the runs that imported this payout's report.
    static func settlementPostings(forPayout payoutID: String) async throws -> Int {
        try await TestDatabase.pool.queryValue("""
            SELECT count(*) FROM ledger.transactions
            WHERE kind = 'settlement' AND related_id IN (SELECT id FROM reconciliation.runs WHERE payout_id = \(payoutID))
            """, as: Int.self)
    }

    /// The signed `payout.paid` event, as the processor sends it.
    static func payoutObject(_ payout: SandboxPayout) -> [String: Any] {
        ["id": payout.id, "object": "payout", "amount": payout.amount, "currency": payout.currency, "status": "paid",
         "arrival_date": Int(Date().timeIntervalSince1970)]
    }

    @Test func capturesAndCardRefundsRecordTheProcessorsIDsOnTheirClearingLegs() async throws {
        let scene = try await Scene.make(jobs: false)
        defer { Task { await scene.server.stop() } }
        let processor = ProcessorSide(psp: scene.psp, serverPort: scene.server.port)

        // The top-up: its charge id is on the payment and on the capture's clearing leg, and the
        // intent carries the ledger transaction the capture was posted under.
        let topUpCharge = try #require(try await Self.chargeID(ofPayment: scene.topUp))
        #expect(topUpCharge.hasPrefix("ch_"))
        let capture = Wallet.captureTransactionID(ofPayment: scene.topUp)
        #expect(try await Self.clearingReference(ofTransaction: capture) == topUpCharge)
        let intent = try await processor.intentObject(forPayment: scene.topUp.uuidString.lowercased())
        #expect(intent["latest_charge"] as? String == topUpCharge)
        #expect((intent["metadata"] as? [String: String])?["hourglass_txn_id"] == capture.uuidString.lowercased())

        // Staff find the payment by the id the processor's dashboard and report show.
        let found = try await scene.staff.get("/admin/search?q=\(topUpCharge)")
        #expect(found.status == 303 && found.header("location") == "/admin/payments/\(scene.topUp.uuidString.lowercased())")
        let page = try await scene.staff.get("/admin/payments/\(scene.topUp.uuidString.lowercased())")
        #expect(AdminPageReader(page).text("psp_charge_id") == topUpCharge)

        // The block bought by card: the same, posted by the policies module.
        let blockCharge = try #require(try await Self.chargeID(ofPayment: scene.block))
        #expect(blockCharge.hasPrefix("ch_") && blockCharge != topUpCharge)
        #expect(try await Self.clearingReference(ofTransaction: Wallet.captureTransactionID(ofPayment: scene.block)) == blockCharge)
        let blockIntent = try await processor.intentObject(forPayment: scene.block.uuidString.lowercased())
        #expect((blockIntent["metadata"] as? [String: String])?["hourglass_txn_id"]
                == Wallet.captureTransactionID(ofPayment: scene.block).uuidString.lowercased())

        // The card refund: its leg carries the processor's re_… id.
        let refundReference = try await TestDatabase.pool.queryValue("SELECT psp_refund_id FROM refunds.refunds WHERE id = \(scene.refund)",
                                                                     as: String.self)
        #expect(refundReference.hasPrefix("re_"))
        let refundPosting = Ledger.transactionID(causedBy: "refund:\(scene.refund.uuidString.lowercased())")
        #expect(try await Self.clearingReference(ofTransaction: refundPosting) == refundReference)
        try await expectLedgerConsistent()
    }

    @Test func aPaidPayoutIsFetchedMatchedAndBooked() async throws {
        let scene = try await Scene.make()
        defer { Task { await scene.server.stop() } }
        let payouts = await scene.psp.psp.payOut(waitingForWebhooks: true)
        #expect(payouts.count == 1)
        let payout = try #require(payouts.first)
        #expect(payout.currency == "gbp" && payout.balanceTransactionCount == 3)
        #expect(payout.amount == scene.expectedPayout)
        #expect(try await TestDatabase.pool.queryValue("SELECT status FROM payments.payouts WHERE id = \(payout.id)", as: String.self) == "paid")

        // payout.paid queued the fetch job; a worker fetched the report and imported it.
        let fetched = try await eventually(20) { try await Self.job(forPayout: payout.id)?.status == "succeeded" }
        let job = try await Self.job(forPayout: payout.id)
        #expect(fetched, "\(String(describing: job))")
        let runs = try await Self.runs(forPayout: payout.id)
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.lines == 3 && run.matched == 3 && run.exceptions == 0 && run.source == "payout_webhook", "\(run)")
        let outcomes = try await TestDatabase.pool.queryAll("SELECT outcome, matched_by FROM reconciliation.lines WHERE run_id = \(run.id)") {
            (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1))
        }
        #expect(outcomes.allSatisfy { $0.0 == "matched" && $0.1 != "metadata" }, "matched by the processor's ids: \(outcomes)")

        // The settlement posting: the bank gets the payout, the fees are an expense, and the
        // clearing account nets to zero over the matched legs and this posting.
        let posting = Ledger.transactionID(causedBy: "reconciliation:\(run.id.uuidString.lowercased()):payout:\(payout.id):GBP")
        let entries = try await TestDatabase.pool.queryAll("SELECT account_id, amount FROM ledger.entries WHERE transaction_id = \(posting)") {
            (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1))
        }
        let byAccount = Dictionary(entries, uniquingKeysWith: +)
        #expect(byAccount["bank"] == payout.amount, "\(entries)")
        #expect(byAccount["processor_fees"] == scene.expectedFees, "\(entries)")
        #expect(byAccount["settlement_suspense"] == nil, "nothing unexplained: \(entries)")
        let matchedLegs = try await TestDatabase.pool.queryValue("""
            SELECT sum(c.amount)::int8 FROM reconciliation.lines l JOIN ledger.clearing_legs c ON c.entry_id = l.entry_id
            WHERE l.run_id = \(run.id) AND l.outcome = 'matched'
            """, as: Int64.self)
        #expect(matchedLegs == 2000 + scene.blockAmount - 500)
        #expect(matchedLegs + (byAccount["psp_clearing"] ?? 0) == 0)
        #expect(try await Self.settlementPostings(forPayout: payout.id) == 1)
        #expect(scene.psp.psp.unpaidBalanceTransactionCount == 0)
        try await expectLedgerConsistent()
    }

    @Test func theSamePayoutEventTwiceImportsOnce() async throws {
        let scene = try await Scene.make()
        defer { Task { await scene.server.stop() } }
        let processor = ProcessorSide(psp: scene.psp, serverPort: scene.server.port)
        scene.psp.psp.setWebhookURL(nil)   // this test delivers the event itself
        let payout = try #require(await scene.psp.psp.payOut().first)
        let eventID = "evt_payout_\(UUID().uuidString.prefix(8))"
        let first = try await processor.deliver("payout.paid", object: Self.payoutObject(payout), eventID: eventID)
        #expect(try first.status == 200 && (first.json()["duplicate"] as? Bool) == false, "\(first.text)")
        let again = try await processor.deliver("payout.paid", object: Self.payoutObject(payout), eventID: eventID)
        #expect(try again.status == 200 && (again.json()["duplicate"] as? Bool) == true, "\(again.text)")
        // Another event about the same payout (the processor resends under a new id) queues no second fetch.
        let resent = try await processor.deliver("payout.paid", object: Self.payoutObject(payout))
        #expect(try resent.status == 200 && (resent.json()["duplicate"] as? Bool) == false, "\(resent.text)")
        #expect(try await eventually(20) { try await Self.job(forPayout: payout.id)?.status == "succeeded" })
        #expect(try await TestDatabase.pool.queryValue(
            "SELECT count(*)::int8 FROM jobs.jobs WHERE unique_key = \(Reactions.payoutReportJobKey(payout.id))", as: Int64.self) == 1)

        // Fetched and imported again by hand: the same report is a no-op.
        let gateway = PSPClient(baseURL: URL(string: scene.psp.baseURL)!, apiKey: scene.psp.apiKey)
        let payments = Payments(app: scene.server.app, gateway: gateway, outcomes: PaymentOutcomes())
        let report = try await payments.payoutReport(payoutID: payout.id)
        let repeated = try await Reconciliation(app: scene.server.app, payments: payments)
            .importReport(bytes: report, fileName: "again.csv", source: .payoutWebhook(payoutID: payout.id), actor: "test")
        #expect(repeated.isRepeat)
        #expect(try await Self.runs(forPayout: payout.id).count == 1)
        #expect(try await Self.settlementPostings(forPayout: payout.id) == 1)
        try await expectLedgerConsistent()
    }

    @Test func aReportFetchFailingLeavesTheJobToRetryAndWritesNothing() async throws {
        let scene = try await Scene.make()
        defer { Task { await scene.server.stop() } }
        scene.psp.psp.simulateOutage(true)
        let payout = try #require(await scene.psp.psp.payOut(waitingForWebhooks: true).first)
        #expect(try await eventually(20) {
            guard let job = try await Self.job(forPayout: payout.id) else { return false }
            return job.status == "queued" && job.error != nil
        })
        let failed = try #require(try await Self.job(forPayout: payout.id))
        #expect(failed.status == "queued", "to be retried: \(failed)")
        #expect(failed.error?.contains("api_unavailable") == true, "\(failed)")
        #expect(try await Self.runs(forPayout: payout.id).isEmpty)
        #expect(try await Self.settlementPostings(forPayout: payout.id) == 0)

        // The processor is back: the retry (brought forward, not waiting out its backoff) imports it.
        scene.psp.psp.simulateOutage(false)
        try await TestDatabase.pool.execute("""
            UPDATE jobs.jobs SET run_at = now() WHERE unique_key = \(Reactions.payoutReportJobKey(payout.id)) AND status = 'queued'
            """)
        #expect(try await eventually(20) { try await Self.job(forPayout: payout.id)?.status == "succeeded" })
        #expect(try await Self.runs(forPayout: payout.id).map(\.matched) == [3])
        #expect(try await Self.settlementPostings(forPayout: payout.id) == 1)
        try await expectLedgerConsistent()
    }
}
