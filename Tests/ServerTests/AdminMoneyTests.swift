import AdminUI
import AppKernel
import Foundation
@testable import Hourglass
import Identity
@testable import Ledger
import Postgres
import TestSupport
import Testing

/// Reads what an admin page shows: the values carrying `data-field` hooks.
struct AdminPageReader {
    let html: String

    init(_ response: TestResponse) { html = response.text }

    /// The inner HTML of every element carrying `data-field="name"`.
    func inner(_ name: String) -> [String] {
        var found: [String] = []
        var rest = html[...]
        while let hook = rest.range(of: "data-field=\"\(name)\"") {
            guard let open = html[..<hook.lowerBound].lastIndex(of: "<"),
                  let end = html[hook.upperBound...].firstIndex(of: ">") else { break }
            let tag = html[html.index(after: open)...].prefix { $0.isLetter || $0.isNumber }
            let start = html.index(after: end)
            guard let close = html[start...].range(of: "</\(tag)>") else { break }
            found.append(String(html[start..<close.lowerBound]))
            rest = html[close.upperBound...]
        }
        return found
    }

    /// The text of the first element with that hook: tags removed, entities decoded, spaces trimmed.
    func text(_ name: String) -> String? { inner(name).first.map(Self.plain) }

    /// The UTC instant of the `<time>` inside the first element with that hook.
    func instant(_ name: String) -> String? {
        guard let inner = inner(name).first, let range = inner.range(of: #"datetime="[^"]+""#, options: .regularExpression) else { return nil }
        return String(inner[range].dropFirst("datetime=\"".count).dropLast())
    }

    static func plain(_ markup: String) -> String {
        markup.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A status badge's words as the API spells them (`requires action` → `requires_action`).
    func status(_ name: String) -> String? { text(name).map { $0.replacingOccurrences(of: " ", with: "_") } }

    /// An ops-home count: the number at the start of the card.
    func count(_ name: String) -> Int? { text(name).flatMap { Int($0.prefix { $0.isNumber }) } }
}

/// Payments, refunds, the processor's webhooks and the ledger, as staff see them: the same
/// values as the API, found by search, on driver 360, closed to the `admin` role.
@Suite(.tags(.database)) struct AdminMoneyTests {
    @Test func paymentsRefundsWebhooksAndTheLedger() async throws {
        let (server, psp) = try Fixtures.serverWithPSP(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-06-01T10:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        let topUpResponse = try await driver.topUp(2000, card: card)
        #expect(topUpResponse.status == 201)
        let topUp = try topUpResponse.json()
        let topUpID = try #require(topUp["id"] as? String)

        // An hourly block paid by card, cancelled 1 h 30 min in: one unused hour back to the card.
        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        let bought = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card], token: driver.token)
        #expect(bought.status == 201)
        let policy = try bought.json()
        let policyID = try #require(policy["id"] as? String)
        let blockPaymentID = try #require(try await Self.blockPayment(policyID))
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-06-01T11:30:00Z"])
        let cancelled = try await driver.client.json("POST", "/v1/policies/\(policyID)/cancel", token: driver.token)
        #expect(cancelled.status == 200)
        var refundJSON: [String: Any] = [:]
        #expect(try await eventually {
            refundJSON = try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()["refund"] as? [String: Any] ?? [:]
            return refundJSON["state"] as? String == "succeeded"
        })

        let staff = try await StaffBrowser.signedIn(server, role: .support)

        // The top-up's page shows what GET /v1/payments/{id} says.
        let apiTopUp = try await driver.client.json("GET", "/v1/payments/\(topUpID)", token: driver.token).json()
        let topUpPage = try await staff.get("/admin/payments/\(topUpID)")
        #expect(topUpPage.status == 200)
        let page = AdminPageReader(topUpPage)
        #expect(page.text("amount") == AdminFormat.money(Int64(apiTopUp["amount"] as! Int)))
        #expect(page.status("status") == apiTopUp["status"] as? String)
        #expect(page.text("purpose") == apiTopUp["purpose"] as? String)
        #expect(page.text("failure_code") == "—" && apiTopUp["failure_code"] is NSNull)
        #expect(page.instant("created_at") == apiTopUp["created_at"] as? String)
        #expect(page.text("payment_method_id")?.hasPrefix("Visa •4242") == true)
        #expect(page.text("driver_id")?.contains("@") == true, "the driver's email")
        #expect(topUpPage.text.contains("/admin/ledger?caused_by=payment%3A\(topUpID)%3Acaptured"), "links to its posting")
        let intentID = try #require(page.text("psp_intent_id"))
        #expect(intentID.hasPrefix("pi_"))

        // The block's payment: its policy and its refund.
        let apiBlock = try await driver.client.json("GET", "/v1/payments/\(blockPaymentID)", token: driver.token).json()
        let blockPage = try await staff.get("/admin/payments/\(blockPaymentID)")
        #expect(blockPage.status == 200)
        #expect(AdminPageReader(blockPage).text("amount") == AdminFormat.money(Int64(apiBlock["amount"] as! Int)))
        #expect(AdminPageReader(blockPage).text("purpose") == "block_purchase")
        #expect(blockPage.text.contains("/admin/policies/\(policyID)"))
        let refundID = try #require(try await TestDatabase.pool.queryValue(
            "SELECT id FROM refunds.refunds WHERE payment_id = \(UUID(uuidString: blockPaymentID)!)", as: UUID.self).uuidString.lowercased())
        #expect(blockPage.text.contains("/admin/refunds/\(refundID)"), "the payment lists its refund")

        // The refund's page: the same amount, destination and state as the policy's refund.
        let refundPage = try await staff.get("/admin/refunds/\(refundID)")
        #expect(refundPage.status == 200)
        let refund = AdminPageReader(refundPage)
        #expect(refund.text("amount") == AdminFormat.money(Int64(refundJSON["amount"] as! Int)))
        #expect(refund.text("destination") == refundJSON["destination"] as? String)
        #expect(refund.status("state")?.hasPrefix(refundJSON["state"] as! String) == true)
        #expect(refundPage.text.contains("/admin/payments/\(blockPaymentID)"))
        let processorRefund = try #require(refund.text("psp_refund_id"))
        #expect(processorRefund.hasPrefix("re_"))

        // Lists and their filters.
        let succeededBlocks = try await staff.get("/admin/payments?status=succeeded&purpose=block_purchase&driver=\(driver.id)")
        #expect(succeededBlocks.status == 200)
        #expect(succeededBlocks.text.contains("/admin/payments/\(blockPaymentID)"))
        #expect(!succeededBlocks.text.contains("/admin/payments/\(topUpID)"))
        let topUps = try await staff.get("/admin/payments?purpose=top_up&driver=\(driver.id)")
        #expect(topUps.text.contains("/admin/payments/\(topUpID)") && !topUps.text.contains("/admin/payments/\(blockPaymentID)\""))
        let cardRefunds = try await staff.get("/admin/refunds?destination=card&state=succeeded&driver=\(driver.id)")
        #expect(cardRefunds.status == 200 && cardRefunds.text.contains("/admin/refunds/\(refundID)"))
        #expect(!(try await staff.get("/admin/refunds?destination=wallet&driver=\(driver.id)")).text.contains("/admin/refunds/\(refundID)"))
        #expect(try await staff.get("/admin/payments?driver=not-an-id").status == 400)

        // The next page after the block's payment (newest first) holds the older top-up.
        let blockCreated = try await TestDatabase.pool.queryValue(
            "SELECT created_at FROM payments.payments WHERE id = \(UUID(uuidString: blockPaymentID)!)", as: Date.self)
        let afterBlock = "\(Int64((blockCreated.timeIntervalSince1970 * 1_000_000).rounded()))_\(blockPaymentID)"
        let older = try await staff.get("/admin/payments?driver=\(driver.id)&cursor=\(afterBlock)")
        // On a test clock both payments share one instant: the page after the block holds the
        // top-up exactly when (created_at, id) orders it after, as keyset pagination does.
        let topUpCreated = try await TestDatabase.pool.queryValue(
            "SELECT created_at FROM payments.payments WHERE id = \(UUID(uuidString: topUpID)!)", as: Date.self)
        let topUpIsOlder = topUpCreated < blockCreated || (topUpCreated == blockCreated && topUpID < blockPaymentID)
        #expect(older.text.contains("/admin/payments/\(topUpID)") == topUpIsOlder)
        #expect(!older.text.contains("/admin/payments/\(blockPaymentID)\""))

        // CSV exports of the filtered lists: for roles with the export permission, on the trail.
        #expect(try await staff.get("/admin/payments?driver=\(driver.id)&format=csv").status == 403)
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        let csv = try await finance.get("/admin/payments?driver=\(driver.id)&purpose=top_up&format=csv")
        #expect(csv.status == 200)
        #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        #expect(csv.text.hasPrefix("id,driver_id,purpose,amount,currency,status,failure_code,psp_intent_id,created_at\r\n"))
        #expect(csv.text.contains("\(topUpID),\(driver.id),top_up,2000,GBP,succeeded,,\(intentID),") && !csv.text.contains(blockPaymentID))
        let refundsCSV = try await finance.get("/admin/refunds?driver=\(driver.id)&format=csv")
        #expect(refundsCSV.status == 200 && refundsCSV.text.contains("\(refundID),\(driver.id),\(policyID),\(blockPaymentID),203,"))
        let exports = try await TestDatabase.pool.queryValue("""
            SELECT count(*)::int8 FROM audit.events WHERE action IN ('payments.exported', 'refunds.exported') AND actor LIKE 'staff:%'
              AND after->>'filters' LIKE \("%driver=\(driver.id)%")
            """, as: Int.self)
        #expect(exports == 2)

        // Search: the payment id, the processor's intent and refund ids.
        for (query, target) in [(topUpID, "/admin/payments/\(topUpID)"), (intentID, "/admin/payments/\(topUpID)"),
                                (processorRefund, "/admin/refunds/\(refundID)"), (refundID, "/admin/refunds/\(refundID)")] {
            let found = try await staff.get("/admin/search?q=\(StaffBrowser.encode(query))")
            #expect(found.status == 303, "\(query)")
            #expect(found.header("location") == target, "\(query)")
        }

        // The processor's webhook log: the sandbox's own events, and one we sign.
        let eventID = "evt_admin_\(UUID().uuidString.lowercased())"
        let body = Array(#"{"id":"\#(eventID)","type":"payment_intent.succeeded","data":{"object":{"id":"pi_not_ours","status":"succeeded"}}}"#.utf8)
        let signature = WebhookSignature.sign(body: body, secret: psp.webhookSecret, timestamp: Int(Date().timeIntervalSince1970))
        let sent = try await TestConnection(port: server.port).request("POST", "/v1/webhooks/psp",
                                                                       headers: [("Content-Type", "application/json"), ("PSP-Signature", signature)], body: body)
        #expect(sent.status == 200)
        let log = try await staff.get("/admin/payments/webhooks?type=payment_intent")
        #expect(log.status == 200)
        #expect(log.text.contains(eventID))
        #expect(!(try await staff.get("/admin/payments/webhooks?type=payout")).text.contains(eventID))
        let eventPage = try await staff.get("/admin/payments/webhooks/\(eventID)")
        #expect(eventPage.status == 200)
        #expect(AdminPageReader(eventPage).text("type") == "payment_intent.succeeded")
        #expect(AdminPageReader(eventPage).text("outcome")?.hasPrefix("applied") == true)
        let received = try await TestDatabase.pool.queryValue("SELECT received_at FROM payments.webhook_events WHERE event_id = \(eventID)", as: Date.self)
        #expect(AdminPageReader(eventPage).instant("received_at") == RFC3339.format(received))
        let foundEvent = try await staff.get("/admin/search?q=\(eventID)")
        #expect(foundEvent.header("location") == "/admin/payments/webhooks/\(AdminHTML.percentEncode(eventID))")
        #expect(try await staff.get("/admin/payments/webhooks/evt_nobody").status == 404)
        #expect(try await staff.get("/admin/payments/payouts").status == 200)

        // Driver 360: cards, payments and refunds.
        let d360 = try await staff.get("/admin/drivers/\(driver.id)")
        #expect(d360.status == 200)
        #expect(d360.text.contains("id=\"payments\""))
        #expect(d360.text.contains("Visa •4242"))
        #expect(d360.text.contains("/admin/payments/\(topUpID)") && d360.text.contains("/admin/refunds/\(refundID)"))

        // The ledger: the top-up's posting is GET /v1/transactions' top-up line.
        let lines = try await driver.client.json("GET", "/v1/transactions?limit=200", token: driver.token).json()["data"] as! [[String: Any]]
        let topUpLine = try #require(lines.first { $0["type"] as? String == "top_up" })
        let postingID = try #require(topUpLine["id"] as? String)
        let journal = try await staff.get("/admin/ledger?caused_by=\(StaffBrowser.encode("payment:\(topUpID):captured"))")
        #expect(journal.status == 200)
        #expect(journal.text.contains("/admin/ledger/transactions/\(postingID)"))
        #expect(journal.text.components(separatedBy: "/admin/ledger/transactions/").count == 2, "only that posting")
        let byKind = try await staff.get("/admin/ledger?driver=\(driver.id)&kind=refund")
        #expect(byKind.text.contains("Dr") && !byKind.text.contains("/admin/ledger/transactions/\(postingID)"))
        let postingPage = try await staff.get("/admin/ledger/transactions/\(postingID)")
        #expect(postingPage.status == 200)
        let posting = AdminPageReader(postingPage)
        #expect(posting.status("type") == topUpLine["type"] as? String)
        #expect(posting.text("amount") == AdminFormat.money(Int64(topUpLine["amount"] as! Int)))
        #expect(posting.text("ipt_amount") == AdminFormat.money(Int64(topUpLine["ipt_amount"] as! Int)))
        #expect(posting.text("funding") == topUpLine["funding"] as? String)
        #expect(posting.text("description") == topUpLine["description"] as? String)
        #expect(posting.instant("created_at") == topUpLine["created_at"] as? String)
        #expect(posting.text("balanced")?.hasPrefix("yes") == true)
        #expect(postingPage.text.contains("/admin/ledger/accounts/psp_clearing"))
        #expect(try await staff.get("/admin/search?q=\(postingID)").header("location") == "/admin/ledger/transactions/\(postingID)")

        // Accounts: the driver's cash account owes what GET /v1/wallet says.
        let wallet = try await driver.client.json("GET", "/v1/wallet", token: driver.token).json()
        let cashAccount = "driver:\(driver.id):cash"
        let accountPage = try await staff.get("/admin/ledger/accounts/\(AdminHTML.percentEncode(cashAccount))")
        #expect(accountPage.status == 200)
        #expect(AdminPageReader(accountPage).text("balance_amount") == AdminFormat.money(Int64(wallet["balance_amount"] as! Int)))
        #expect(AdminPageReader(accountPage).text("entries_total")?.contains("matches the balance") == true)
        #expect(accountPage.text.contains("/admin/ledger/transactions/\(postingID)"))
        let accounts = try await staff.get("/admin/ledger/accounts")
        #expect(accounts.status == 200 && accounts.text.contains("PSP clearing") && accounts.text.contains("Premium income"))
        let driversAccounts = try await staff.get("/admin/ledger/accounts?driver=\(driver.id)")
        #expect(driversAccounts.text.contains(AdminHTML.percentEncode(cashAccount)))
        #expect(try await staff.get("/admin/search?q=\(StaffBrowser.encode(cashAccount))").header("location")
                == "/admin/ledger/accounts/\(AdminHTML.percentEncode(cashAccount))")
        #expect(try await staff.get("/admin/ledger/accounts/nobody").status == 404)

        // The check passes on the real data.
        let check = try await staff.get("/admin/ledger/check")
        #expect(check.status == 200)
        #expect(AdminPageReader(check).text("check_result") == "passed", "\(AdminPageReader(check).inner("drifted"))")
        #expect((Int(AdminPageReader(check).text("postings_checked") ?? "") ?? 0) > 0)
        #expect((Int(AdminPageReader(check).text("accounts_checked") ?? "") ?? 0) > 0)

        // The admin role has no read permission: 403 on every page.
        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        for path in ["/admin/payments", "/admin/payments/\(topUpID)", "/admin/payments/webhooks", "/admin/payments/webhooks/\(eventID)",
                     "/admin/payments/payouts", "/admin/refunds", "/admin/refunds/\(refundID)", "/admin/ledger",
                     "/admin/ledger/transactions/\(postingID)", "/admin/ledger/accounts", "/admin/ledger/accounts/psp_clearing", "/admin/ledger/check"] {
            #expect(try await admin.get(path).status == 403, "\(path)")
        }
    }

    /// The check reports a driver balance that drifted from its entries and a posting that does
    /// not sum to zero. The runtime role cannot write the ledger (by design), so the damage is
    /// done as the schema's owner inside a transaction that is rolled back: nobody else ever
    /// sees it (and the commit-time balance check never runs). The check runs on that same
    /// transaction.
    @Test func theLedgerCheckReportsDriftAndUnbalancedPostings() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1500, card: card).status == 201)
        let cash = LedgerAccount.driverCash(UUID(uuidString: driver.id)!).id
        let bogus = UUID()
        struct RolledBack: Error {}
        var report: LedgerAdmin.CheckReport?
        do {
            try await TestDatabase.ownerPool.withTransaction { transaction in
                try await transaction.execute("UPDATE ledger.balance_shards SET balance = balance + 7 WHERE account_id = \(cash)")
                try await transaction.execute("""
                    INSERT INTO ledger.transactions (id, kind, description, amount, funding, created_at)
                    VALUES (\(bogus), 'fee', 'test: one-legged posting', 0, 'none', '2100-01-01T00:00:00Z')
                    """)
                try await transaction.execute("""
                    INSERT INTO ledger.entries (transaction_id, account_id, amount, posted_at)
                    VALUES (\(bogus), 'premium_income', 5, '2100-01-01T00:00:00Z')
                    """)
                report = try await LedgerAdmin(app: server.app).check(on: transaction, accounts: .after("driver:\(driver.id):"))
                throw RolledBack()
            }
        } catch is RolledBack {}
        let found = try #require(report)
        #expect(!found.passed)
        #expect(found.drifted.contains(DriftRow(accountID: cash, maintained: -1500 + 7, fromEntries: -1500)))
        #expect(found.unbalanced.contains { $0.transactionID == bogus && $0.entries == 1 && $0.total == 5 })
        let html = LedgerAdmin.render(found).text
        #expect(html.contains("data-field=\"check_result\">failed<"))
        #expect(html.contains(AdminHTML.percentEncode(cash)) && html.contains("/admin/ledger/transactions/\(bogus.uuidString.lowercased())"))

        // Rolled back: the real ledger still passes, and the posting never existed.
        let staff = try await StaffBrowser.signedIn(server, role: .finance)
        let page = try await staff.get("/admin/ledger/check")
        #expect(AdminPageReader(page).text("check_result") == "passed")
        #expect(try await staff.get("/admin/ledger/transactions/\(bogus.uuidString.lowercased())").status == 404)
        let clean = try await LedgerAdmin(app: server.app).check(on: TestDatabase.pool, accounts: .after("driver:\(driver.id):"), postings: .done, batch: 2)
        #expect(clean.passed && clean.accountsChecked >= 1 && clean.postingsChecked == 0)
    }

    /// The card payment of a block bought by card (when the policy answer does not carry it).
    static func blockPayment(_ policyID: String) async throws -> String? {
        try await TestDatabase.pool.queryOptional(
            "SELECT id FROM payments.payments WHERE related_id = \(UUID(uuidString: policyID)!) ORDER BY created_at DESC LIMIT 1") {
            try $0.decode(UUID.self, at: 0).uuidString.lowercased()
        }
    }
}
