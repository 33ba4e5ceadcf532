import AdminUI
import AppKernel
import Foundation
@testable import Hourglass
import Identity
import Postgres
import TestSupport
import Testing

/// The action flow every staff action shares (OPS.md "Actions"), through promotional credit
/// and a four-eyes setting: confirmation page first, one execution per token, four-eyes with
/// maker ≠ checker, expiry, and one audit event carrying the actor, reason and approval.
@Suite(.tags(.database)) struct AdminActionTests {
    static func promo(_ driver: TestDriver) async throws -> Int {
        try await driver.client.json("GET", "/v1/wallet", token: driver.token).json()["promo_balance_amount"] as! Int
    }

    static func auditEvents(_ action: String, object: String) async throws -> [(actor: String, reason: String?, text: String?, approval: UUID?)] {
        try await TestDatabase.pool.queryAll("""
            SELECT actor, reason_code, reason_text, approval_id FROM audit.events WHERE action = \(action) AND object_id = \(object)
            ORDER BY occurred_at
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(String?.self, at: 2),
                    try $0.decode(UUID?.self, at: 3)) }
    }

    @Test func creditIsConfirmedOnceAndAuditedWithItsReason() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let before = try await Self.promo(driver)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)

        // The wallet page offers the form; posting it changes nothing yet and states the effect.
        let wallet = try await staff.get("/admin/wallets/\(driver.id)")
        #expect(wallet.text.contains("data-action=\"grant_credit\""))
        let (page, token) = try await staff.plan("grant_credit", ["object": driver.id, "amount": "7.50", "reason": "goodwill",
                                                                 "note": "Late payout apology", "description": "Sorry about Tuesday"])
        #expect(page.status == 200)
        #expect(page.text.contains("Give £7.50 of promotional credit"))
        #expect(page.text.contains("data-action=\"confirm\""))
        #expect(page.text.contains("£\(String(format: "%.2f", Double(before) / 100)) → £\(String(format: "%.2f", Double(before + 750) / 100))"))
        #expect(try await Self.promo(driver) == before, "nothing happens before the confirmation")

        // Confirming does it; replaying the confirmation (a double click, a resent POST) shows the same result.
        let id = try #require(token)
        let confirmed = try await staff.confirm("grant_credit", token: id)
        #expect(confirmed.status == 303)
        #expect(confirmed.header("location") == "/admin/action-requests/\(id)")
        let again = try await staff.confirm("grant_credit", token: id)
        #expect(again.header("location") == "/admin/action-requests/\(id)")
        #expect(try await Self.promo(driver) == before + 750)
        let result = try await staff.get("/admin/action-requests/\(id)")
        #expect(result.status == 200 && result.text.contains("Granted £7.50"))

        // Exactly one audit event, by this member of staff, with the reason and the note.
        let events = try await Self.auditEvents("wallet.promo_granted", object: driver.id)
        #expect(events.count == 1)
        #expect(events.first?.actor.hasPrefix("staff:") == true)
        #expect(events.first?.reason == "goodwill" && events.first?.text == "Late payout apology")
        #expect(events.first?.approval == nil)

        // The driver sees it in the API.
        let transactions = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(transactions.contains { $0["type"] as? String == "promo_credit" && $0["amount"] as? Int == 750 && $0["description"] as? String == "Sorry about Tuesday" })
    }

    @Test func badInputIsRefusedBeforeAnythingIsStored() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let staff = try await StaffBrowser.signedIn(server, role: .finance)
        let count = { try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM admin.action_requests WHERE object_id = \(driver.id)", as: Int64.self) }
        for fields in [["amount": "7.50", "reason": "other"],           // other needs a note
                       ["amount": "7.505", "reason": "goodwill"],       // three decimals
                       ["amount": "-3", "reason": "goodwill"],
                       ["amount": "lots", "reason": "goodwill"],
                       ["amount": "7.50", "reason": "because"]] {
            let (page, token) = try await staff.plan("grant_credit", fields.merging(["object": driver.id]) { $1 })
            #expect(page.status == 422, "\(fields)")
            #expect(token == nil)
        }
        #expect(try await count() == 0)
        let unknown = try await staff.plan("grant_credit", ["object": UUID().uuidString, "amount": "1", "reason": "goodwill"])
        #expect(unknown.page.status == 404)
        // A token is good for its own action and its own maker only.
        let (_, token) = try await staff.plan("grant_credit", ["object": driver.id, "amount": "1.00", "reason": "goodwill"])
        let other = try await StaffBrowser.signedIn(server, role: .finance)
        #expect(try await other.confirm("grant_credit", token: try #require(token)).status == 403)
        // An old confirmation page cannot be confirmed.
        try await TestDatabase.pool.execute("UPDATE admin.action_requests SET expires_at = now() - interval '1 second' WHERE id = \(UUID(uuidString: token!)!)")
        #expect(try await staff.confirm("grant_credit", token: token!).status == 410)
    }

    @Test func rolesWithoutThePermissionSeeNoFormAndAreRefused() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        for role in [StaffRole.pricing, .claims, .engineer] {
            let staff = try await StaffBrowser.signedIn(server, role: role)
            let wallet = try await staff.get("/admin/wallets/\(driver.id)")
            #expect(wallet.status == 200)
            #expect(!wallet.text.contains("data-action=\"grant_credit\""), "\(role)")
            let (page, token) = try await staff.plan("grant_credit", ["object": driver.id, "amount": "5", "reason": "goodwill"])
            #expect(page.status == 403, "\(role)")
            #expect(token == nil)
        }
    }

    /// OPS.md: support gives goodwill credit up to £10 alone; more, or pieces adding up to more
    /// within 24 hours, waits for senior ops or finance.
    @Test func supportGivesGoodwillUpToTenPounds() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let support = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await support.get("/admin/wallets/\(driver.id)").text.contains("data-action=\"grant_credit\""))
        let (first, _) = try await support.act("grant_credit", ["object": driver.id, "amount": "6.00", "reason": "goodwill"])
        #expect(first.header("location")?.hasPrefix("/admin/action-requests/") == true, "£6 alone")
        let (second, id) = try await support.act("grant_credit", ["object": driver.id, "amount": "6.00", "reason": "goodwill"])
        #expect(second.header("location") == "/admin/approvals/\(id)", "£12 in a day needs approval")
        #expect(try await Self.promo(driver) == 600)
        // Another support person cannot approve it (approving credit is senior ops' or finance's).
        let colleague = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await colleague.post("/admin/approvals/\(id)/approve", [:]).status == 403)
        let senior = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await senior.post("/admin/approvals/\(id)/approve", [:]).status == 303)
        #expect(try await Self.promo(driver) == 1200)
    }

    /// Splitting a sum into pieces under the threshold does not avoid the second person.
    @Test func piecesUnderTheThresholdAddUp() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        var answers: [String] = []
        for _ in 0..<3 {
            let (response, _) = try await staff.act("grant_credit", ["object": driver.id, "amount": "9.00", "reason": "goodwill"])
            answers.append(response.header("location") ?? "")
        }
        #expect(answers.map { $0.hasPrefix("/admin/approvals/") } == [false, false, true], "£18 alone, the third £9 passes £20")
        #expect(try await Self.promo(driver) == 1800)
        // Two confirmations prepared side by side, each alone under the limit, cannot both run.
        let other = try await TestDriver.make(server)
        let (_, a) = try await staff.plan("grant_credit", ["object": other.id, "amount": "11.00", "reason": "goodwill"])
        let (_, b) = try await staff.plan("grant_credit", ["object": other.id, "amount": "12.00", "reason": "goodwill"])
        let tab = StaffBrowser(server: server, email: staff.email)
        tab.cookies = staff.cookies
        tab.csrf = staff.csrf
        async let first = staff.confirm("grant_credit", token: try #require(a))
        async let second = tab.confirm("grant_credit", token: try #require(b))
        let both = try await [first, second].map { $0.header("location") ?? "" }
        #expect(both.filter { $0.hasPrefix("/admin/action-requests/") }.count == 1, "\(both)")
        #expect(both.filter { $0.hasPrefix("/admin/approvals/") }.count == 1, "\(both)")
        #expect([1100, 1200].contains(try await Self.promo(other)))
    }

    @Test func creditOverTheThresholdWaitsForAnotherPerson() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let before = try await Self.promo(driver)
        let maker = try await StaffBrowser.signedIn(server, role: .seniorOps, name: "Maker Mo")
        let (page, token) = try await maker.plan("grant_credit", ["object": driver.id, "amount": "25", "reason": "ops_error"])
        #expect(page.text.contains("another person’s approval"))
        let id = try #require(token)
        let filed = try await maker.confirm("grant_credit", token: id)
        #expect(filed.header("location") == "/admin/approvals/\(id)")
        #expect(try await Self.promo(driver) == before, "nothing moves until someone approves")

        // The maker cannot approve their own request; a role without the permission cannot either.
        let approval = try await maker.get("/admin/approvals/\(id)")
        #expect(approval.text.contains("another person must approve it"))
        #expect(AdminPageReader(approval).text("driver")?.contains("@") == true, "the approval names the driver it is about")
        #expect(try await maker.post("/admin/approvals/\(id)/approve", ["note": "me"]).status == 403)
        let support = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await support.post("/admin/approvals/\(id)/approve", [:]).status == 403)
        #expect(try await Self.promo(driver) == before)

        // It is in the checker's inbox; approving executes it once.
        let checker = try await StaffBrowser.signedIn(server, role: .finance, name: "Checker Cy")
        let inbox = try await checker.get("/admin/approvals")
        #expect(inbox.text.contains("/admin/approvals/\(id)"))
        #expect(try await checker.post("/admin/approvals/\(id)/approve", ["note": "checked the ticket"]).status == 303)
        #expect(try await checker.post("/admin/approvals/\(id)/approve", [:]).status == 409)
        #expect(try await Self.promo(driver) == before + 2500)
        let decided = try await checker.get("/admin/approvals/\(id)")
        #expect(decided.text.contains("Checker Cy") && decided.text.contains("Maker Mo"))

        let granted = try await Self.auditEvents("wallet.promo_granted", object: driver.id)
        #expect(granted.count == 1)
        #expect(granted.first?.approval == UUID(uuidString: id) && granted.first?.reason == "ops_error")
        #expect(try await Self.auditEvents("admin.approval_requested", object: driver.id).count == 1)
        #expect(try await Self.auditEvents("admin.approval_approved", object: driver.id).first?.text == "checked the ticket")
    }

    @Test func anExpiredOrRejectedApprovalNeverExecutes() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let maker = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let checker = try await StaffBrowser.signedIn(server, role: .seniorOps)

        let (_, old) = try await maker.act("grant_credit", ["object": driver.id, "amount": "30", "reason": "goodwill"])
        try await TestDatabase.pool.execute("UPDATE admin.action_requests SET expires_at = now() - interval '1 minute' WHERE id = \(UUID(uuidString: old)!)")
        let late = try await checker.post("/admin/approvals/\(old)/approve", [:])
        #expect(late.status == 410)
        #expect(late.text.contains("expired"))

        let (_, refused) = try await maker.act("grant_credit", ["object": driver.id, "amount": "40", "reason": "goodwill"])
        #expect(try await checker.post("/admin/approvals/\(refused)/reject", [:]).status == 422, "a rejection says why")
        #expect(try await checker.post("/admin/approvals/\(refused)/reject", ["note": "no ticket for this"]).status == 303)
        #expect(try await checker.post("/admin/approvals/\(refused)/approve", [:]).status == 409)
        #expect(try await Self.promo(driver) == 0)
        #expect(try await Self.auditEvents("wallet.promo_granted", object: driver.id).isEmpty)
    }

    @Test func changingAThresholdIsItselfFourEyes() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let key = "wallet_adjustment_four_eyes_over_amount"
        let engineer = try await StaffBrowser.signedIn(server, role: .engineer)
        let flagsPage = try await engineer.get("/admin/feature_flags")
        #expect(flagsPage.text.contains("data-action=\"change_money_setting\""))
        #expect(try await engineer.post("/admin/feature_flags/\(key)", ["value": "99999", "note": "bypass"]).status == 403)
        #expect(try await engineer.plan("change_setting", ["object": key, "value": "2100", "reason": "other", "note": "x"]).page.status == 404,
                "a money threshold is not an engineers' setting")
        let (filed, id) = try await engineer.act("change_money_setting", ["object": key, "value": "2100", "reason": "other", "note": "raise to £21"])
        #expect(filed.header("location") == "/admin/approvals/\(id)")
        let second = try await StaffBrowser.signedIn(server, role: .engineer)
        #expect(try await second.post("/admin/approvals/\(id)/approve", [:]).status == 403, "engineers are read-only on money")
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        #expect(try await finance.post("/admin/approvals/\(id)/approve", [:]).status == 303)
        let stored = try await TestDatabase.pool.queryValue("SELECT value::text FROM feature_flags.values WHERE key = \(key)", as: String.self)
        #expect(stored == "2100")
        // Put it back through the same flow (the database is shared: £21 changes no other test's outcome).
        let (_, back) = try await second.act("change_money_setting", ["object": key, "value": "2000", "reason": "other", "note": "restore"])
        #expect(try await finance.post("/admin/approvals/\(back)/approve", [:]).status == 303)
    }

    @Test func internalNotesAreForStaffOnly() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let support = try await StaffBrowser.signedIn(server, role: .support, name: "Sid Support")
        #expect(try await support.get("/admin/drivers/\(driver.id)").text.contains("data-action=\"add_note\""))
        _ = try await support.act("add_note", ["object": driver.id, "text": "Called about a double charge; told them 3 days.", "reason": "requested_by_driver"])
        let seen = try await StaffBrowser.signedIn(server, role: .seniorOps).get("/admin/drivers/\(driver.id)")
        #expect(seen.text.contains("Called about a double charge; told them 3 days.") && seen.text.contains("Sid Support"))
        let pricing = try await StaffBrowser.signedIn(server, role: .pricing)
        #expect(!(try await pricing.get("/admin/drivers/\(driver.id)")).text.contains("data-action=\"add_note\""))
        #expect(try await pricing.plan("add_note", ["object": driver.id, "text": "x", "reason": "other", "note": "x"]).page.status == 403)
        let events = try await Self.auditEvents("admin.note_added", object: driver.id)
        #expect(events.count == 1 && events.first?.reason == "requested_by_driver")
    }
}
