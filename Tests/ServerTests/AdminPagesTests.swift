import AdminUI
import AppKernel
import Foundation
import Identity
import Postgres
import TestSupport
import Testing

/// Admin pages show what the API shows, to staff who may see it.
@Suite(.tags(.database)) struct AdminPagesTests {
    @Test func searchFindsADriverAndDriver360ShowsThem() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let registration = "Z\(Int.random(in: 100_000...999_999))"
        let driver = try await TestDriver.make(server, vehicle: ["registration": registration])
        let me = try await driver.client.json("GET", "/v1/me", token: driver.token).json()
        let email = try #require(me["email"] as? String)
        let driverID = driver.id
        let staff = try await StaffBrowser.signedIn(server, role: .support)

        let found = try await staff.get("/admin/search?q=\(StaffBrowser.encode(email.uppercased()))")
        #expect(found.status == 303)
        #expect(found.header("location") == "/admin/drivers/\(driverID)")
        let page = try await staff.get("/admin/drivers/\(driverID)")
        #expect(page.status == 200)
        #expect(page.text.contains("data-field=\"email\">\(email)<"))
        #expect(page.text.contains("id=\"vehicles\""))
        #expect(page.text.contains(registration), "the driver's vehicle")
        #expect(!page.text.contains("07700900123") && !page.text.contains("+447700900123"), "the phone is masked")

        // Revealing is a form, and on the trail.
        let revealed = try await staff.post("/admin/drivers/\(driverID)/reveal", ["reason": "requested_by_driver"])
        #expect(revealed.status == 200)
        #expect(revealed.text.contains("+44"))
        let logged = try await TestDatabase.pool.queryValue(
            "SELECT count(*)::int8 FROM audit.events WHERE action = 'drivers.pii_revealed' AND object_id = \(driverID)", as: Int.self)
        #expect(logged == 1)

        // A registration, however it is typed.
        // A registration, however it is typed.
        let byRegistration = try await staff.get("/admin/search?q=\(registration.lowercased().prefix(3))-\(registration.dropFirst(3))")
        #expect(byRegistration.status == 303)
        #expect(byRegistration.header("location") == "/admin/vehicles/\(driver.vehicleID)")
        #expect(try await staff.get("/admin/search?q=nothing-matches-this").status == 200)
    }
}
