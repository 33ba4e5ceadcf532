import AdminUI
import AppKernel
import Foundation
import Identity
import TestSupport
import Testing

/// The admin's cover pages tell the truth: "was covered at T" answers as `GET /v1/cover?at=`
/// does, minute by minute over a real shift day; the billing explainer shows the charge's
/// arithmetic; the timeline draws the sessions.
@Suite(.tags(.database)) struct AdminCoverTests {
    @Test func wasCoveredAtAgreesWithTheDriverAPIAllDay() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let cover = CoverTests()
        let (driver, policyID, clock) = try await cover.paygDriver(server, clockStart: "2026-08-03T07:55:00Z")
        let rider = "rider-\(UUID().uuidString.prefix(8))"
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let p = UUID().uuidString.prefix(8)
        try await cover.advance(server, clock, to: "2026-08-03T13:10:00Z")
        for (id, type, at, shift) in [("d1s", "shift_started", "2026-08-03T08:00:00Z", "d1"), ("d1e", "shift_ended", "2026-08-03T08:20:00Z", "d1"),
                                      ("d2s", "shift_started", "2026-08-03T08:45:00Z", "d2"), ("d2e", "shift_ended", "2026-08-03T11:00:00Z", "d2"),
                                      ("d3s", "shift_started", "2026-08-03T12:30:00Z", "d3"), ("d3e", "shift_ended", "2026-08-03T13:05:00Z", "d3")] {
            #expect(try await deliveroo.send("\(p)-\(id)", driver: rider, type, at, shift: shift).status == 202)
        }
        try await Task.sleep(for: .milliseconds(600))
        try await cover.advance(server, clock, to: "2026-08-03T14:30:00Z")

        let staff = try await StaffBrowser.signedIn(server, role: .support)
        var checked = 0
        var minute = try #require(RFC3339.parse("2026-08-03T07:50:00Z"))
        let end = try #require(RFC3339.parse("2026-08-03T14:20:00Z"))
        while minute <= end {
            let at = RFC3339.format(minute)
            let api = try await driver.client.json("GET", "/v1/cover?at=\(at)", token: driver.token).json()
            let page = try await staff.get("/admin/cover/lookup?driver=\(driver.id)&at=\(StaffBrowser.encode(at))")
            #expect(page.status == 200)
            let yes = page.text.contains("data-field=\"covered\">Yes")
            #expect(yes == (api["covered"] as? Bool), "at \(at)")
            if let session = api["session_id"] as? String { #expect(page.text.contains("data-field=\"session_id\" hidden>\(session)<"), "at \(at)") }
            if let policy = api["policy_id"] as? String { #expect(page.text.contains("data-field=\"policy_id\" hidden>\(policy)<"), "at \(at)") }
            checked += 1
            minute = minute.addingTimeInterval(10 * 60)
        }
        #expect(checked == 40)
        // UK local time as typed: 11:14 BST is 10:14 UTC, inside the joined session.
        let local = try await staff.get("/admin/cover/lookup?driver=\(driver.id)&at=2026-08-03T11:14")
        #expect(local.text.contains("data-field=\"covered\">Yes"))
        #expect(local.text.contains("Opened by a"), "the event that opened the session is in the evidence")

        // The billing explainer of the joined session: 180 minutes at 203p = 609p, IPT 65p.
        let sessions = try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]]
        let first = try #require(sessions.first { $0["started_at"] as? String == "2026-08-03T08:00:00Z" }?["id"] as? String)
        let explainer = try await staff.get("/admin/cover/sessions/\(first)")
        #expect(explainer.status == 200)
        #expect(explainer.text.contains("round_half_up(203p × 180 / 60)"))
        #expect(explainer.text.contains("609p = £6.09"))
        #expect(explainer.text.contains("round_half_up(609p × 3/28) = 65p"))
        #expect(explainer.text.contains("/admin/ledger/transactions/"), "the postings that took the charge")

        // Driver 360 draws the day: the session bar links to the session.
        let page = try await staff.get("/admin/drivers/\(driver.id)")
        #expect(page.text.contains("id=\"timeline\""))
        #expect(page.text.contains("<a href=\"/admin/cover/sessions/\(first)\">"))
        #expect(page.text.contains("test clock"))
    }
}
