import AdminUI
import AppKernel
import Foundation
@testable import Hourglass
import Identity
import Postgres
import TestSupport
import Testing

/// The claims team handles a claim from the admin and the driver follows it in the API:
/// triage and settlement as a status history, a request for information answered by adding a
/// file, a reserve and notes the driver never sees, a withdrawal by the driver, and moves the
/// status does not allow refused with what is allowed.
@Suite(.tags(.database)) struct ClaimHandlingTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 64)

    /// A driver covered by hand for a minute, with a claim inside that minute.
    static func claim(_ server: TestServer) async throws -> (driver: TestDriver, claim: [String: Any]) {
        let driver = try await TestDriver.make(server)
        let quote = try await driver.quote().json()
        let policyID = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()["id"] as! String
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(2000, card: card).status == 201)
        #expect(try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).status == 201)
        try await Task.sleep(for: .milliseconds(1100))
        let now = RFC3339.format(Date())
        let created = try await driver.client.json("POST", "/v1/claims", ["policy_id": policyID, "occurred_at": now, "type": "damage",
                                                                          "description": "Wing mirror", "location": "Mile End Road"], token: driver.token)
        #expect(created.status == 201, "\(created.text)")
        return (driver, try created.json())
    }

    static func fetch(_ driver: TestDriver, _ id: String) async throws -> [String: Any] {
        try await driver.client.json("GET", "/v1/claims/\(id)", token: driver.token).json()
    }

    @Test func triageInformationAndSettlementAsTheDriverSeesThem() async throws {
        let (server, _) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let (driver, claim) = try await Self.claim(server)
        let id = claim["id"] as! String
        #expect((claim["status_history"] as? [[String: Any]])?.map { $0["status"] as? String } == ["submitted"])
        let handler = try await StaffBrowser.signedIn(server, role: .claims)
        let page = try await handler.get("/admin/claims/\(id)")
        #expect(page.text.contains("data-action=\"claim_status\"") && page.text.contains("data-action=\"request_info\""))
        #expect(AdminPageReader(page).text("cover_at_claim")?.contains("covered by session") == true, "the cover at the claim's instant")

        // Triage: in review, with a word for the driver.
        let (triaged, _) = try await handler.act("claim_status", ["object": id, "status": "in_review", "message": "A handler has your claim.",
                                                                  "reason": "requested_by_driver"])
        #expect(triaged.status == 303)
        var shown = try await Self.fetch(driver, id)
        #expect(shown["status"] as? String == "in_review")
        let history = try #require(shown["status_history"] as? [[String: Any]])
        #expect(history.map { $0["status"] as? String } == ["submitted", "in_review"])
        #expect(history.last?["message"] as? String == "A handler has your claim.")

        // A request for information: the driver sees it open, adds a photo, and it is answered.
        _ = try await handler.act("request_info", ["object": id, "message": "Please send a photo of the other car.", "reason": "other",
                                                   "note": "needed for liability"])
        shown = try await Self.fetch(driver, id)
        let asked = try #require((shown["information_requests"] as? [[String: Any]])?.first)
        #expect(asked["message"] as? String == "Please send a photo of the other car.")
        #expect(asked["answered_at"] is NSNull)
        let notices = try await driver.client.json("GET", "/v1/notifications", token: driver.token)
        #expect(notices.status == 200 && notices.text.contains("We need more about your claim"), "the driver is told")
        let attached = try await driver.client.request("POST", "/v1/claims/\(id)/attachments",
                                                       headers: [("Authorization", "Bearer \(driver.token)"), ("Content-Type", "image/png")], body: Self.png)
        #expect(attached.status == 201)
        shown = try await Self.fetch(driver, id)
        #expect(((shown["information_requests"] as? [[String: Any]])?.first?["answered_at"] as? String) != nil)

        // Reserve and notes stay inside: the driver's claim shows neither.
        _ = try await handler.act("set_reserve", ["object": id, "amount": "450.00", "reason": "other", "note": "quote from the garage"])
        _ = try await handler.act("add_claim_note", ["object": id, "text": "Third party admits fault on the phone.", "reason": "other", "note": "call log"])
        let raw = try await driver.client.json("GET", "/v1/claims/\(id)", token: driver.token).text
        #expect(!raw.contains("reserve") && !raw.contains("45000") && !raw.contains("admits fault"))
        let inside = try await handler.get("/admin/claims/\(id)")
        #expect(AdminPageReader(inside).text("reserve_amount") == "£450.00")
        #expect(inside.text.contains("Third party admits fault on the phone."))

        // Settled; afterwards nothing moves it, and the driver cannot withdraw it.
        _ = try await handler.act("claim_status", ["object": id, "status": "settled", "reason": "requested_by_driver"])
        #expect(try await Self.fetch(driver, id)["status"] as? String == "settled")
        let stuck = try await handler.plan("claim_status", ["object": id, "status": "rejected", "reason": "fraud"])
        #expect(stuck.page.status == 409)
        #expect(stuck.page.text.contains("it can move to nothing"))
        let late = try await driver.client.json("POST", "/v1/claims/\(id)/withdraw", token: driver.token)
        #expect(late.status == 409)

        // Every change is on the claim's trail once, by the handler, with its reason.
        let actions = try await TestDatabase.pool.queryAll("""
            SELECT action, actor, reason_code FROM audit.events WHERE object_type = 'claim' AND object_id = \(id) ORDER BY occurred_at
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String?.self, at: 2)) }
        #expect(actions.map(\.0) == ["claims.reported", "claims.status_changed", "claims.information_requested", "claims.attachment_added",
                                     "claims.reserve_set", "claims.note_added", "claims.status_changed"])
        #expect(actions.filter { $0.0 != "claims.reported" && $0.0 != "claims.attachment_added" }.allSatisfy { $0.1.hasPrefix("staff:") && $0.2 != nil })
    }

    @Test func driversWithdrawTheirOwnOpenClaimsOnly() async throws {
        let (server, _) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let (driver, claim) = try await Self.claim(server)
        let id = claim["id"] as! String
        let stranger = try await TestDriver.make(server)
        #expect(try await stranger.client.json("POST", "/v1/claims/\(id)/withdraw", token: stranger.token).status == 404)
        let withdrawn = try await driver.client.json("POST", "/v1/claims/\(id)/withdraw", token: driver.token)
        #expect(withdrawn.status == 200)
        #expect(try withdrawn.json()["status"] as? String == "withdrawn")
        #expect(try await driver.client.json("POST", "/v1/claims/\(id)/withdraw", token: driver.token).status == 409)
        let history = try await Self.fetch(driver, id)["status_history"] as? [[String: Any]]
        #expect(history?.map { $0["status"] as? String } == ["submitted", "withdrawn"])
        // The claims team cannot reopen it.
        let handler = try await StaffBrowser.signedIn(server, role: .claims)
        #expect(try await handler.plan("claim_status", ["object": id, "status": "in_review", "reason": "other", "note": "x"]).page.status == 409)
    }

    @Test func onlyTheClaimsRoleHandlesClaims() async throws {
        let (server, _) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let (_, claim) = try await Self.claim(server)
        let id = claim["id"] as! String
        for role in [StaffRole.support, .seniorOps, .finance] {
            let staff = try await StaffBrowser.signedIn(server, role: role)
            let page = try await staff.get("/admin/claims/\(id)")
            #expect(page.status == 200)
            #expect(!page.text.contains("data-action=\"claim_status\""), "\(role)")
            #expect(try await staff.plan("claim_status", ["object": id, "status": "in_review", "reason": "other", "note": "x"]).page.status == 403)
        }
        // Skipping review is not a move the claims team has.
        let handler = try await StaffBrowser.signedIn(server, role: .claims)
        #expect(try await handler.plan("claim_status", ["object": id, "status": "settled", "reason": "goodwill"]).page.status == 409)
    }
}
