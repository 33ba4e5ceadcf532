import AdminUI
import AppKernel
import Foundation
@testable import Hourglass
import Identity
import Postgres
import TestSupport
import Testing

/// Issue #12, item 2: staff cover actions (OPS.md "Actions") on policies, sessions, drivers,
/// provider links and events, and the provider secret rotation of item 6. Each goes through
/// the owning module's API, is confirmed once, is audited once with the staff member and the
/// reason, and shows in the driver's API.
@Suite(.tags(.database)) struct CoverActionTests {
    static func money(_ pence: Int) -> String { String(format: "£%d.%02d", pence / 100, pence % 100) }

    static func audits(_ action: String, object: String) async throws -> [(actor: String, reason: String?, text: String?, approval: UUID?)] {
        try await AdminActionTests.auditEvents(action, object: object)
    }

    /// The one audit event of `action` on `object` keeps the object before and after.
    static func expectBeforeAndAfter(_ action: String, object: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let rows = try await TestDatabase.pool.queryAll("""
            SELECT before::text, after::text FROM audit.events WHERE action = \(action) AND object_id = \(object)
            """) { (try $0.decode(String?.self, at: 0), try $0.decode(String?.self, at: 1)) }
        #expect(rows.count == 1, sourceLocation: sourceLocation)
        #expect(rows.allSatisfy { $0.0 != nil && $0.1 != nil }, "\(action) keeps before and after", sourceLocation: sourceLocation)
    }

    static func policy(_ scene: CoverScene, _ id: String? = nil) async throws -> [String: Any] {
        try await scene.driver.client.json("GET", "/v1/policies/\(id ?? scene.policyID)", token: scene.driver.token).json()
    }

    // MARK: - cancel_policy

    /// The confirmation states the closing charge of the running session (the same rules as
    /// the driver's own cancel), nothing moves before Confirm, a replay acts once, and the
    /// session ends and is charged at the instant of confirming.
    @Test func cancellingAPAYGPolicyEndsAndChargesItsRunningSessionThen() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-05T07:55:00Z")
        try await scene.advance(to: "2026-10-05T08:00:00Z")
        try await scene.shift("a", "shift_started", "2026-10-05T08:00:00Z")
        try await scene.advance(to: "2026-10-05T09:35:00Z")
        let balance = try await scene.driver.balance()
        #expect(balance == 5000 - scene.rate)

        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let page = try await staff.get("/admin/policies/\(scene.policyID)")
        #expect(page.text.contains("data-action=\"cancel_policy\"") && page.text.contains("data-action=\"deactivate_policy\""))
        let (plan, token) = try await staff.plan("cancel_policy", ["object": scene.policyID, "reason": "requested_by_driver", "note": "called in"])
        #expect(plan.status == 200, "\(plan.text.prefix(800))")
        let effect = try #require(AdminPageReader(plan).text("effect"))
        #expect(effect.contains("ends then and is charged as closed"), "\(effect)")
        #expect(effect.contains("95 minutes, \(Self.money(scene.charge(minutes: 95))) in all"), "\(effect)")
        #expect(effect.contains("No refund"))
        #expect(plan.text.contains("\(Self.money(balance)) → \(Self.money(5000 - scene.charge(minutes: 95)))"))
        // The preview was rolled back: nothing changed.
        #expect(try await Self.policy(scene)["status"] as? String == "active")
        #expect(try await scene.sessions().first?["status"] as? String == "active")
        #expect(try await scene.driver.balance() == balance)

        let id = try #require(token)
        #expect(try await staff.confirm("cancel_policy", token: id).header("location") == "/admin/action-requests/\(id)")
        #expect(try await staff.confirm("cancel_policy", token: id).header("location") == "/admin/action-requests/\(id)")
        #expect(try await staff.get("/admin/action-requests/\(id)").text.contains("Cancelled"))

        // The driver sees it: cancelled, the session closed at 09:35 with 95 minutes, charged once.
        let policy = try await Self.policy(scene)
        #expect(policy["status"] as? String == "cancelled")
        #expect(policy["cancelled_at"] as? String == "2026-10-05T09:35:00Z")
        let sessions = try await scene.sessions()
        #expect(sessions.count == 1)
        #expect(sessions[0]["status"] as? String == "closed")
        #expect(sessions[0]["billed_minutes"] as? Int == 95)
        #expect(sessions[0]["charged_amount"] as? Int == scene.charge(minutes: 95))
        #expect(try await scene.driver.balance() == 5000 - scene.charge(minutes: 95))
        #expect(try await scene.cover(at: "2026-10-05T09:30:00Z")["covered"] as? Bool == true)
        #expect(try await scene.cover(at: "2026-10-05T09:36:00Z")["covered"] as? Bool == false)
        let certificate = try await scene.driver.client.json("GET", "/v1/policies/\(scene.policyID)/certificate", token: scene.driver.token)
        #expect(certificate.text.contains("CANCELLED at 2026-10-05T09:35:00Z"))

        // Exactly one audit event for the change, by this member of staff, with the reason.
        let events = try await Self.audits("policies.cancelled", object: scene.policyID)
        #expect(events.count == 1)
        #expect(events.first?.actor.hasPrefix("staff:") == true && events.first?.reason == "requested_by_driver" && events.first?.text == "called in")
        try await Self.expectBeforeAndAfter("policies.cancelled", object: scene.policyID)

        // Cancelling it again is refused with a clear message, before anything is stored.
        let again = try await staff.plan("cancel_policy", ["object": scene.policyID, "reason": "duplicate"])
        #expect(again.page.status == 409)
        #expect(again.page.text.contains("the policy is already cancelled"))
        #expect(again.token == nil)
        #expect(!(try await staff.get("/admin/policies/\(scene.policyID)").text.contains("data-action=\"cancel_policy\"")))
        try await expectLedgerConsistent()
    }

    /// A wallet-paid block refunds its whole unused hours to the wallet, as stated; when an
    /// hour passes between the confirmation page and Confirm the refund differs, and
    /// confirming is refused without changing anything.
    @Test func cancellingABlockRefundsWhatThePageSaidOrNothing() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-10-06T10:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(5000, card: card).status == 201)
        let quote = try await driver.quote(["product": "hourly", "hours": 3]).json()
        let rate = quote["hourly_rate_amount"] as! Int
        let bound = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()
        let policyID = bound["id"] as! String
        #expect(try await driver.balance() == 5000 - 3 * rate)
        func advance(_ to: String) async throws {
            #expect(try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": to]).status == 200)
        }
        try await advance("2026-10-06T10:30:00Z")
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let (stale, staleToken) = try await staff.plan("cancel_policy", ["object": policyID, "reason": "requested_by_driver"])
        #expect(AdminPageReader(stale).text("effect")?.contains("Refund \(Self.money(2 * rate)) to the driver’s wallet") == true, "\(stale.text.prefix(600))")
        // An hour boundary passes before Confirm: 2 unused hours became 1.
        try await advance("2026-10-06T11:05:00Z")
        let refused = try await staff.confirm("cancel_policy", token: try #require(staleToken))
        #expect(refused.status == 409)
        #expect(refused.text.contains("The refund is now \(Self.money(rate)), not the \(Self.money(2 * rate))"))
        #expect(try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()["status"] as? String == "active")
        #expect(try await driver.balance() == 5000 - 3 * rate)

        let (fresh, token) = try await staff.plan("cancel_policy", ["object": policyID, "reason": "requested_by_driver"])
        #expect(AdminPageReader(fresh).text("effect")?.contains("Refund \(Self.money(rate)) to the driver’s wallet") == true)
        #expect(try await staff.confirm("cancel_policy", token: try #require(token)).status == 303)
        let policy = try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()
        #expect(policy["status"] as? String == "cancelled")
        #expect(policy["refund_amount"] as? Int == rate)
        #expect(try await driver.balance() == 5000 - 2 * rate)
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.first?["type"] as? String == "refund" && history.first?["amount"] as? Int == rate)
        #expect(try await Self.audits("policies.cancelled", object: policyID).count == 1)
        try await expectLedgerConsistent()
    }

    /// A card-paid block's refund is owed to the card on confirming and reaches it through the
    /// processor by the refunds sweep (here: the test clock's advance, which runs it).
    @Test func cancellingACardPaidBlockRefundsTheCard() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-10-07T10:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        let quote = try await driver.quote(["product": "hourly", "hours": 2, "starts_at": "2026-10-07T12:00:00Z"]).json()
        let bound = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card], token: driver.token).json()
        let policyID = bound["id"] as! String
        let total = quote["total_amount"] as! Int
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let (plan, token) = try await staff.plan("cancel_policy", ["object": policyID, "reason": "requested_by_driver"])
        #expect(AdminPageReader(plan).text("effect")?.contains("Refund \(Self.money(total)) to Visa •4242") == true, "\(plan.text.prefix(800))")
        #expect(try await staff.confirm("cancel_policy", token: try #require(token)).status == 303)
        #expect(try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()["refund"].flatMap { ($0 as? [String: Any])?["state"] as? String } == "pending")
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-10-07T10:05:00Z"])
        let policy = try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()
        #expect((policy["refund"] as? [String: Any])?["state"] as? String == "succeeded")
        let history = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(history.map { $0["type"] as? String } == ["refund", "block_purchase"])
        #expect(history.map { $0["amount"] as? Int } == [total, -total])
        try await expectLedgerConsistent()
    }

    // MARK: - deactivate_policy

    @Test func deactivatingEndsTheSessionKeepsThePastAndFreesTheDriverToBindAgain() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-08T07:55:00Z")
        try await scene.advance(to: "2026-10-08T08:00:00Z")
        try await scene.shift("a", "shift_started", "2026-10-08T08:00:00Z")
        try await scene.advance(to: "2026-10-08T08:20:00Z")
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let (plan, token) = try await staff.plan("deactivate_policy", ["object": scene.policyID, "reason": "fraud", "note": "shared account"])
        let effect = try #require(AdminPageReader(plan).text("effect"))
        #expect(effect.contains("no new cover starts under it") && effect.contains("60 minutes"), "\(effect)")
        #expect(try await staff.confirm("deactivate_policy", token: try #require(token)).status == 303)

        #expect(try await Self.policy(scene)["status"] as? String == "deactivated")
        let sessions = try await scene.sessions()
        #expect(sessions.map { $0["status"] as? String } == ["closed"])
        #expect(sessions[0]["billed_minutes"] as? Int == 60 && sessions[0]["charged_amount"] as? Int == scene.rate)
        #expect(sessions[0]["covered_until"] as? String == "2026-10-08T08:20:00Z")
        // The past stays covered (a claim against it still finds cover); nothing after.
        #expect(try await scene.cover(at: "2026-10-08T08:10:00Z", policy: scene.policyID)["covered"] as? Bool == true)
        #expect(try await scene.cover(at: "2026-10-08T08:25:00Z")["covered"] as? Bool == false)
        // A later shift opens nothing under it; the driver may bind a new policy.
        try await scene.advance(to: "2026-10-08T08:40:00Z")
        try await scene.shift("b", "shift_started", "2026-10-08T08:40:00Z")
        try await scene.advance(to: "2026-10-08T09:00:00Z")
        #expect(try await scene.sessions().count == 1)
        let rebound = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": try await scene.driver.quote().json()["id"]!], token: scene.driver.token)
        #expect(rebound.status == 201, "\(rebound.text)")
        let certificate = try await scene.driver.client.json("GET", "/v1/policies/\(scene.policyID)/certificate", token: scene.driver.token)
        #expect(certificate.text.contains("DEACTIVATED at 2026-10-08T08:20:00Z"))
        let events = try await Self.audits("policies.deactivated", object: scene.policyID)
        #expect(events.count == 1 && events.first?.reason == "fraud" && events.first?.actor.hasPrefix("staff:") == true)
        #expect(try await Self.audits("policies.cancelled", object: scene.policyID).isEmpty)
        try await Self.expectBeforeAndAfter("policies.deactivated", object: scene.policyID)

        // Twice is refused; so is an hourly block.
        #expect(try await staff.plan("deactivate_policy", ["object": scene.policyID, "reason": "fraud"]).page.status == 409)
        let block = try await scene.driver.quote(["product": "hourly", "hours": 1]).json()
        let blockPolicy = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": block["id"]!], token: scene.driver.token).json()
        let hourly = try await staff.plan("deactivate_policy", ["object": blockPolicy["id"] as! String, "reason": "fraud"])
        #expect(hourly.page.status == 422 && hourly.page.text.contains("only a pay-as-you-go policy is deactivated"))
        try await expectLedgerConsistent()
    }

    // MARK: - reissue_certificate

    @Test func reissuingACertificateAddsARevisionAndKeepsTheOldOnes() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-09T08:00:00Z")
        let revisions = {
            try await TestDatabase.pool.queryAll("""
                SELECT revision, content_type FROM documents.documents WHERE subject_id = \(UUID(uuidString: scene.policyID)!) ORDER BY revision, content_type
                """) { "\(try $0.decode(Int32.self, at: 0)) \(try $0.decode(String.self, at: 1).prefix(9))" }
        }
        #expect(try await revisions().count == 2)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await staff.get("/admin/policies/\(scene.policyID)").text.contains("data-action=\"reissue_certificate\""))
        let (plan, token) = try await staff.plan("reissue_certificate", ["object": scene.policyID, "reason": "requested_by_driver", "note": "lost it"])
        #expect(AdminPageReader(plan).text("effect")?.contains("revision 2") == true)
        #expect(try await revisions().count == 2, "nothing before Confirm")
        let id = try #require(token)
        #expect(try await staff.confirm("reissue_certificate", token: id).status == 303)
        #expect(try await staff.confirm("reissue_certificate", token: id).status == 303)
        #expect(try await revisions().count == 4, "one new revision in both formats, the old kept")
        let events = try await Self.audits("policies.certificate_reissued", object: scene.policyID)
        #expect(events.count == 1 && events.first?.text == "lost it")
        try await Self.expectBeforeAndAfter("policies.certificate_reissued", object: scene.policyID)
        // The driver downloads it; a cancellation later is the revision after it.
        let certificate = try await scene.driver.client.json("GET", "/v1/policies/\(scene.policyID)/certificate", token: scene.driver.token)
        #expect(certificate.status == 200 && certificate.text.contains("Certificate of Motor Insurance"))
        #expect(try await scene.driver.client.json("POST", "/v1/policies/\(scene.policyID)/cancel", token: scene.driver.token).status == 200)
        #expect(try await revisions().count == 6)
        let cancelled = try await scene.driver.client.json("GET", "/v1/policies/\(scene.policyID)/certificate", token: scene.driver.token)
        #expect(cancelled.text.contains("CANCELLED"))
    }

    // MARK: - force_close_session

    /// Closed at that instant and charged as closed (the minimum); the provider shift still
    /// running covers nothing any more, and only a new shift start opens cover again.
    @Test func forceClosingChargesTheMinimumAndStopsARunningShiftsCover() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-10T07:55:00Z")
        try await scene.advance(to: "2026-10-10T08:00:00Z")
        try await scene.shift("a", "shift_started", "2026-10-10T08:00:00Z")
        try await scene.advance(to: "2026-10-10T08:20:00Z")
        let sessionID = try #require(try await scene.sessions().first?["id"] as? String)
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await staff.get("/admin/cover/sessions/\(sessionID)").text.contains("data-action=\"force_close_session\""))
        let (plan, token) = try await staff.plan("force_close_session", ["object": sessionID, "reason": "ops_error", "note": "stuck shift"])
        #expect(AdminPageReader(plan).text("effect")?.contains("60 billed minutes") == true, "\(plan.text.prefix(800))")
        #expect(try await scene.sessions().first?["status"] as? String == "active", "nothing before Confirm")
        let id = try #require(token)
        #expect(try await staff.confirm("force_close_session", token: id).status == 303)
        #expect(try await staff.confirm("force_close_session", token: id).header("location") == "/admin/action-requests/\(id)")

        var sessions = try await scene.sessions()
        #expect(sessions.count == 1)
        #expect(sessions[0]["status"] as? String == "closed" && sessions[0]["final"] as? Bool == true)
        #expect(sessions[0]["billed_minutes"] as? Int == 60 && sessions[0]["charged_amount"] as? Int == scene.rate)
        #expect(sessions[0]["covered_until"] as? String == "2026-10-10T08:20:00Z")
        #expect(try await scene.cover(at: "2026-10-10T08:25:00Z")["covered"] as? Bool == false)
        // The provider's shift goes on and ends: it covers nothing. A new shift start opens new
        // cover, even inside the closed session's paid hour (as after the 14-hour cut).
        try await scene.advance(to: "2026-10-10T08:35:00Z")
        try await scene.shift("a", "shift_ended", "2026-10-10T08:30:00Z")
        try await scene.advance(to: "2026-10-10T08:40:00Z")
        #expect(try await scene.sessions().count == 1)
        #expect(try await scene.cover(at: "2026-10-10T08:28:00Z")["covered"] as? Bool == false)
        try await scene.shift("b", "shift_started", "2026-10-10T08:40:00Z")
        try await scene.advance(to: "2026-10-10T08:45:00Z")
        sessions = try await scene.sessions()
        #expect(sessions.count == 2)
        #expect(sessions.last?["started_at"] as? String == "2026-10-10T08:40:00Z" && sessions.last?["status"] as? String == "active")
        #expect(try await scene.driver.balance() == 5000 - 2 * scene.rate)

        // One audit event for the change, by staff with the reason; none from the engine's closing.
        let events = try await Self.audits("cover.session_force_closed", object: sessionID)
        #expect(events.count == 1 && events.first?.reason == "ops_error" && events.first?.actor.hasPrefix("staff:") == true)
        #expect(try await Self.audits("cover.session_closed", object: sessionID).isEmpty)
        try await Self.expectBeforeAndAfter("cover.session_force_closed", object: sessionID)
        // A closed session cannot be force-closed.
        let again = try await staff.plan("force_close_session", ["object": sessionID, "reason": "ops_error"])
        #expect(again.page.status == 409 && again.page.text.contains("already closed"))
        try await expectLedgerConsistent()
    }

    // MARK: - start_cover / end_cover

    @Test func startingAndEndingCoverByHandFollowTheDriversOwnRules() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-11T09:00:00Z")
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let driverPage = try await staff.get("/admin/drivers/\(scene.driver.id)")
        #expect(driverPage.text.contains("data-action=\"start_cover\"") && !driverPage.text.contains("data-action=\"end_cover\""))
        let (plan, token) = try await staff.plan("start_cover", ["object": scene.driver.id, "reason": "requested_by_driver", "note": "app down"])
        #expect(AdminPageReader(plan).text("effect")?.contains("first hour, \(Self.money(scene.rate))") == true, "\(plan.text.prefix(600))")
        #expect(try await scene.sessions().isEmpty, "nothing before Confirm")
        let id = try #require(token)
        #expect(try await staff.confirm("start_cover", token: id).status == 303)
        #expect(try await staff.confirm("start_cover", token: id).status == 303)
        #expect(try await scene.sessions().count == 1)
        #expect(try await scene.cover()["covered"] as? Bool == true)
        #expect(try await scene.driver.balance() == 5000 - scene.rate)
        let started = try await Self.audits("cover.started_by_hand", object: scene.policyID)
        #expect(started.count == 1 && started.first?.actor.hasPrefix("staff:") == true && started.first?.text == "app down")
        try await Self.expectBeforeAndAfter("cover.started_by_hand", object: scene.policyID)

        // Already covered: refused.
        let twice = try await staff.plan("start_cover", ["object": scene.driver.id, "reason": "requested_by_driver"])
        #expect(twice.page.status == 409 && twice.page.text.contains("already covered"))

        try await scene.advance(to: "2026-10-11T10:30:00Z")
        #expect(try await staff.get("/admin/drivers/\(scene.driver.id)").text.contains("data-action=\"end_cover\""))
        let (ended, _) = try await staff.act("end_cover", ["object": scene.driver.id, "reason": "requested_by_driver"])
        #expect(ended.status == 303)
        try await Self.expectBeforeAndAfter("cover.ended_by_hand", object: scene.driver.id)
        try await scene.advance(to: "2026-10-11T10:45:00Z")
        let sessions = try await scene.sessions()
        #expect(sessions.first?["status"] as? String == "closed" && sessions.first?["billed_minutes"] as? Int == 90)
        #expect(try await scene.driver.balance() == 5000 - scene.charge(minutes: 90))
        let nothing = try await staff.plan("end_cover", ["object": scene.driver.id, "reason": "requested_by_driver"])
        #expect(nothing.page.status == 409 && nothing.page.text.contains("no cover started by hand is running"))
        try await expectLedgerConsistent()
    }

    @Test func coverByHandIsRefusedWithoutAPolicyOrMoney() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let unbound = try await CoverScene.make(server, at: "2026-10-12T09:00:00Z", bind: false)
        let noPolicy = try await staff.plan("start_cover", ["object": unbound.driver.id, "reason": "requested_by_driver"])
        #expect(noPolicy.page.status == 409 && noPolicy.page.text.contains("no pay-as-you-go policy in force"))
        let broke = try await CoverScene.make(server, at: "2026-10-12T09:00:00Z", topUp: 500)
        let poor = try await staff.plan("start_cover", ["object": broke.driver.id, "reason": "requested_by_driver"])
        #expect(poor.page.status == 422 && poor.page.text.contains("at least £10"))
        #expect(try await staff.plan("start_cover", ["object": UUID().uuidString, "reason": "requested_by_driver"]).page.status == 404)
    }

    // MARK: - unlink_provider

    /// After an unlink the shift running then stops counting at that instant; events that
    /// happen later are kept (202) and cover nobody.
    @Test func unlinkingKeepsLaterEventsButAppliesThemToNobody() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        // Events of an account nobody is linked to are judged on real time (no driver clock
        // applies): the scene's clock runs three hours behind it, so later events are recent.
        let base = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 3 * 3600)
        func at(_ minutes: Double) -> String { RFC3339Text.format(base.addingTimeInterval(minutes * 60)) }
        let scene = try await CoverScene.make(server, at: at(-5))
        try await scene.advance(to: at(0))
        try await scene.shift("a", "shift_started", at(0))
        try await scene.advance(to: at(30))
        let links = try await scene.driver.client.json("GET", "/v1/work-provider-links", token: scene.driver.token).json()["data"] as! [[String: Any]]
        let linkID = try #require(links.first { $0["status"] as? String == "active" }?["id"] as? String)

        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await staff.get("/admin/drivers/\(scene.driver.id)").text.contains("data-action=\"unlink_provider\""))
        let (plan, token) = try await staff.plan("unlink_provider", ["object": linkID, "reason": "requested_by_driver", "note": "left deliveroo"])
        #expect(AdminPageReader(plan).text("effect")?.contains("events after it are kept but cover nobody") == true)
        let id = try #require(token)
        #expect(try await staff.confirm("unlink_provider", token: id).status == 303)
        #expect(try await staff.confirm("unlink_provider", token: id).status == 303)
        let after = try await scene.driver.client.json("GET", "/v1/work-provider-links", token: scene.driver.token).json()["data"] as! [[String: Any]]
        #expect(after.first { $0["id"] as? String == linkID }?["status"] as? String == "unlinked")

        // Later events: accepted and kept, but they open nothing.
        try await scene.advance(to: at(70))
        try await scene.shift("a", "shift_ended", at(70))
        try await scene.advance(to: at(90))
        try await scene.shift("b", "shift_started", at(90))
        try await scene.advance(to: at(120))
        let sessions = try await scene.sessions()
        #expect(sessions.count == 1)
        #expect(sessions.first?["started_at"] as? String == at(0))
        #expect(sessions.first?["ended_at"] as? String == at(30), "the running shift stopped counting at the unlink")
        #expect(sessions.first?["status"] as? String == "closed" && sessions.first?["billed_minutes"] as? Int == 60)
        #expect(try await scene.cover(at: at(100))["covered"] as? Bool == false)
        #expect(try await scene.cover(at: at(15))["covered"] as? Bool == true)
        let kept = try await staff.get("/admin/work-providers/events?provider_driver_id=\(scene.rider)&outcome=waiting_for_link")
        #expect(kept.text.contains("-b-shift_started"))
        #expect(!kept.text.contains("-a-shift_started"), "the shift start before the unlink still applies through the ended link")
        let events = try await Self.audits("work_providers.unlinked", object: linkID)
        #expect(events.count == 1 && events.first?.text == "left deliveroo")
        try await Self.expectBeforeAndAfter("work_providers.unlinked", object: linkID)
        let again = try await staff.plan("unlink_provider", ["object": linkID, "reason": "requested_by_driver"])
        #expect(again.page.status == 409)
        try await expectLedgerConsistent()
    }

    // MARK: - reapply_event

    @Test func reapplyingAKeptEventNeedsALinkWithinADay() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let staff = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let rider = "kept-\(UUID().uuidString.prefix(8))"
        let eventID = "\(rider)-start"
        let at = RFC3339Text.format(Date().addingTimeInterval(-600))
        #expect(try await deliveroo.send(eventID, driver: rider, "shift_started", at, shift: "k1").status == 202)
        let object = "deliveroo:\(eventID)"
        let page = try await staff.get("/admin/work-providers/events/deliveroo/\(eventID)")
        #expect(!page.text.contains("data-action=\"reapply_event\""), "no link applies it yet")
        let unlinked = try await staff.plan("reapply_event", ["object": object, "reason": "ops_error"])
        #expect(unlinked.page.status == 422 && unlinked.page.text.contains("No link applies this event"))

        // The driver links the account: the event applies; staff can re-apply it (the late-link path).
        let driver = try await TestDriver.make(server)
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        #expect(try await staff.get("/admin/work-providers/events/deliveroo/\(eventID)").text.contains("data-action=\"reapply_event\""))
        let (plan, token) = try await staff.plan("reapply_event", ["object": object, "reason": "ops_error", "note": "job died"])
        #expect(AdminPageReader(plan).text("effect")?.contains("the cover engine recomputes their sessions") == true)
        let id = try #require(token)
        #expect(try await staff.confirm("reapply_event", token: id).status == 303)
        #expect(try await staff.confirm("reapply_event", token: id).status == 303)
        let queued = try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM jobs.jobs WHERE unique_key = \("reapply:" + id)", as: Int64.self)
        #expect(queued == 1)
        let events = try await Self.audits("work_providers.event_reapplied", object: object)
        #expect(events.count == 1 && events.first?.text == "job died")
        try await Self.expectBeforeAndAfter("work_providers.event_reapplied", object: object)

        // A link confirmed more than 24 hours after the event happened does not bring it in.
        let (_, clockID) = try await TestClock.make(server, frozenAt: RFC3339Text.format(Date().addingTimeInterval(2 * 86_400)))
        let later = "late-\(UUID().uuidString.prefix(8))"
        #expect(try await deliveroo.send("\(later)-start", driver: later, "shift_started", at, shift: "l1").status == 202)
        let onClock = try await TestDriver.make(server, ["test_clock_id": clockID])
        #expect(try await onClock.link(server.port, "deliveroo", later) == 200)
        let tooLate = try await staff.plan("reapply_event", ["object": "deliveroo:\(later)-start", "reason": "ops_error"])
        #expect(tooLate.page.status == 422 && tooLate.page.text.contains("more than 24 hours after the event"))
    }

    // MARK: - Provider secret rotation

    /// Four-eyes, the new secret shown once to the engineer who asked, both secrets verifying
    /// during the overlap and only the new one after it; stored sealed, never in plain text.
    @Test func rotatingAProviderSecretIsFourEyesAndOverlaps() async throws {
        let name = "rot_\(UUID().uuidString.prefix(8).lowercased())"
        let original = "env-secret-\(UUID().uuidString)"
        let server = try Fixtures.server(config: ["WORK_PROVIDERS": "deliveroo,uber_eats,\(name)", "PROVIDER_\(name.uppercased())_SECRET": original])
        defer { Task { await server.stop() } }
        let provider = ProviderClient(connection: try TestConnection(port: server.port), provider: name)
        func send(_ secret: String) async throws -> Int {
            try await provider.send("\(UUID().uuidString)", driver: "nobody", "shift_started", RFC3339Text.format(Date()), secret: secret).status
        }
        #expect(try await send(original) == 202)

        let maker = try await StaffBrowser.signedIn(server, role: .engineer, name: "Maker Eng")
        let page = try await maker.get("/admin/work-providers/providers/\(name)")
        #expect(page.status == 200 && page.text.contains("data-action=\"rotate_provider_secret\""))
        #expect(!page.text.contains(original))
        let (plan, token) = try await maker.plan("rotate_provider_secret", ["object": name, "reason": "other", "note": "yearly rotation"])
        #expect(plan.text.contains("another person’s approval"))
        #expect(AdminPageReader(plan).text("effect")?.contains("keeps verifying for 24 hours") == true)
        let id = try #require(token)
        #expect(try await maker.confirm("rotate_provider_secret", token: id).header("location") == "/admin/approvals/\(id)")
        #expect(try await maker.post("/admin/approvals/\(id)/approve", [:]).status == 403, "not the maker")
        let ops = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await ops.post("/admin/approvals/\(id)/approve", [:]).status == 403, "not without the operate permission")
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM work_providers.secrets WHERE provider = \(name)", as: Int64.self) == 0)
        let checker = try await StaffBrowser.signedIn(server, role: .engineer, name: "Checker Eng")
        #expect(try await checker.post("/admin/approvals/\(id)/approve", ["note": "ticket OPS-1"]).status == 303)

        // Only the maker sees the new secret, once.
        let providerPage = try await checker.get("/admin/work-providers/providers/\(name)")
        #expect(!providerPage.text.contains("data-action=\"reveal_secret\""))
        let rotation = try await TestDatabase.pool.queryValue("SELECT id FROM work_providers.secrets WHERE provider = \(name)", as: UUID.self)
        #expect(try await checker.post("/admin/work-providers/providers/\(name)/reveal", ["rotation": rotation.uuidString.lowercased()]).status == 409)
        #expect(try await maker.get("/admin/work-providers/providers/\(name)").text.contains("data-action=\"reveal_secret\""))
        let revealed = try await maker.post("/admin/work-providers/providers/\(name)/reveal", ["rotation": rotation.uuidString.lowercased()])
        #expect(revealed.status == 200)
        let secret = try #require(AdminPageReader(revealed).text("secret"))
        #expect(secret.count == 64)
        #expect(try await maker.post("/admin/work-providers/providers/\(name)/reveal", ["rotation": rotation.uuidString.lowercased()]).status == 409)
        let sealed = try await TestDatabase.pool.queryValue("SELECT sealed_secret FROM work_providers.secrets WHERE id = \(rotation)", as: Data.self)
        #expect(!String(decoding: sealed, as: UTF8.self).contains(secret) && !sealed.isEmpty)
        #expect(!(try await maker.get("/admin/work-providers/providers/\(name)").text.contains(secret)))

        // Both verify during the overlap; a wrong one never does.
        #expect(try await eventually { try await send(secret) == 202 })
        #expect(try await send(original) == 202)
        #expect(try await send("not-the-secret") == 401)
        // The overlap ends: only the new secret verifies.
        try await TestDatabase.pool.execute("UPDATE work_providers.secrets SET previous_valid_until = created_at WHERE id = \(rotation)")
        #expect(try await eventually(8) { try await send(original) == 401 })
        #expect(try await send(secret) == 202)

        let rotated = try await Self.audits("work_providers.secret_rotated", object: name)
        #expect(rotated.count == 1 && rotated.first?.approval == UUID(uuidString: id) && rotated.first?.text == "yearly rotation")
        #expect(try await Self.audits("work_providers.secret_revealed", object: name).count == 1)
        try await Self.expectBeforeAndAfter("work_providers.secret_rotated", object: name)
    }

    // MARK: - Roles

    /// `support` sees none of the cover forms and is refused (403) when posting them.
    @Test func supportSeesNoCoverFormsAndIsRefused() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-10-14T09:00:00Z")
        try await scene.shift("a", "shift_started", "2026-10-14T09:00:00Z")
        try await scene.advance(to: "2026-10-14T09:10:00Z")
        let sessionID = try #require(try await scene.sessions().first?["id"] as? String)
        let support = try await StaffBrowser.signedIn(server, role: .support)
        let pages = [try await support.get("/admin/policies/\(scene.policyID)"), try await support.get("/admin/cover/sessions/\(sessionID)"),
                     try await support.get("/admin/drivers/\(scene.driver.id)"), try await support.get("/admin/work-providers/providers/deliveroo")]
        for page in pages {
            #expect(page.status == 200)
            for action in ["cancel_policy", "deactivate_policy", "reissue_certificate", "force_close_session", "start_cover", "end_cover",
                           "unlink_provider", "rotate_provider_secret"] {
                #expect(!page.text.contains("data-action=\"\(action)\""), "\(action)")
            }
        }
        for (action, object) in [("cancel_policy", scene.policyID), ("deactivate_policy", scene.policyID), ("reissue_certificate", scene.policyID),
                                 ("force_close_session", sessionID), ("start_cover", scene.driver.id), ("end_cover", scene.driver.id),
                                 ("reapply_event", "deliveroo:x"), ("rotate_provider_secret", "deliveroo")] {
            let (page, token) = try await support.plan(action, ["object": object, "reason": "requested_by_driver"])
            #expect(page.status == 403, "\(action)")
            #expect(token == nil)
        }
        // Senior ops may take cover actions but not rotate secrets (engineers do).
        let ops = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await ops.plan("rotate_provider_secret", ["object": "deliveroo", "reason": "other", "note": "x"]).page.status == 403)
        #expect(try await scene.sessions().first?["status"] as? String == "active")
    }
}
