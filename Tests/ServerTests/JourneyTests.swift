import Foundation
import TestSupport
import Testing

/// A test clock, and a connection to move it with.
enum TestClock {
    static func make(_ server: TestServer, frozenAt frozenTime: String) async throws -> (clocks: TestConnection, id: String) {
        let clocks = try TestConnection(port: server.port)
        let created = try await clocks.json("POST", "/v1/test-clocks", ["frozen_time": frozenTime])
        guard created.status == 201 else { throw TestClientError.malformed("test clock failed: \(created.text)") }
        return (clocks, try created.json()["id"] as! String)
    }
}

/// A signed-up driver with a vehicle, on a fresh connection to `server`.
struct TestDriver {
    let client: TestConnection
    let token: String
    let id: String
    let vehicleID: String

    static func make(_ server: TestServer, _ overrides: [String: Any] = [:], vehicle: [String: Any] = [:]) async throws -> TestDriver {
        try await make(port: server.port, overrides, vehicle: vehicle)
    }

    static func make(port: UInt16, _ overrides: [String: Any] = [:], vehicle: [String: Any] = [:]) async throws -> TestDriver {
        let client = try TestConnection(port: port)
        let signUp = try await client.json("POST", "/v1/drivers", signUpBody(overrides))
        guard signUp.status == 201 else { throw TestClientError.malformed("sign-up failed: \(signUp.text)") }
        let json = try signUp.json()
        let token = json["token"] as! String
        var vehicleBody: [String: Any] = ["registration": "ab12 cde", "type": "car", "make": "Toyota", "model": "Prius",
                                          "year": 2019, "value_amount": 1_200_000]
        for (key, value) in vehicle { vehicleBody[key] = value }
        let created = try await client.json("POST", "/v1/vehicles", vehicleBody, token: token)
        guard created.status == 201 else { throw TestClientError.malformed("vehicle failed: \(created.text)") }
        return TestDriver(client: client, token: token, id: (json["driver"] as! [String: Any])["id"] as! String,
                          vehicleID: try created.json()["id"] as! String)
    }

    func quote(_ overrides: [String: Any] = [:]) async throws -> TestResponse {
        var body: [String: Any] = ["vehicle_id": vehicleID, "product": "payg", "usage": "food_delivery"]
        for (key, value) in overrides { body[key] = value }
        return try await client.json("POST", "/v1/quotes", body, token: token)
    }
}

@Suite(.tags(.database)) struct JourneyTests {
    @Test func signUpQuoteBindAndFetchTheCertificate() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)

        let quoteResponse = try await driver.quote()
        #expect(quoteResponse.status == 201)
        let quote = try quoteResponse.json()
        #expect(quote["status"] as? String == "quoted")
        #expect(quote["currency"] as? String == "GBP")
        let rate = try #require(quote["hourly_rate_amount"] as? Int)
        let total = try #require(quote["total_amount"] as? Int)
        let ipt = try #require(quote["ipt_amount"] as? Int)
        #expect(total == rate)  // PAYG prices its first hour
        #expect(ipt == Int((Double(total) * 3 / 28).rounded(.toNearestOrAwayFromZero)))
        #expect(quote["premium_amount"] as? Int == total - ipt)
        #expect(quote["rating_version"] as? Int == 1)
        let factors = try #require(quote["factors"] as? [[String: Any]])
        #expect(factors.map { $0["name"] as? String } == ["base_rate", "age", "licence_years", "area_band", "usage", "claims"])
        // Car £1.40 × age 30-49 (1.00) × 5+ years (1.00) × E1 band F (1.45) × food (1.00) × no claims = 203p.
        #expect(rate == 203)

        let quoteID = try #require(quote["id"] as? String)
        let key = UUID().uuidString
        let bind = try await driver.client.json("POST", "/v1/policies", ["quote_id": quoteID], token: driver.token,
                                                headers: [("Idempotency-Key", key)])
        #expect(bind.status == 201)
        let policy = try bind.json()
        #expect(policy["status"] as? String == "active")
        #expect(policy["product"] as? String == "payg")
        #expect((policy["number"] as? String)?.hasPrefix("HG-") == true)
        #expect(policy["hourly_rate_amount"] as? Int == rate)

        let replay = try await driver.client.json("POST", "/v1/policies", ["quote_id": quoteID], token: driver.token,
                                                  headers: [("Idempotency-Key", key)])
        #expect(replay.status == 201)
        #expect(replay.body == bind.body)
        #expect(replay.header("idempotent-replayed") == "true")
        let otherBody = try await driver.client.json("POST", "/v1/policies", ["quote_id": UUID().uuidString], token: driver.token,
                                                     headers: [("Idempotency-Key", key)])
        #expect(otherBody.status == 422)
        let again = try await driver.client.json("POST", "/v1/policies", ["quote_id": quoteID], token: driver.token)
        #expect(again.status == 409)
        #expect(try await driver.client.json("GET", "/v1/quotes/\(quoteID)", token: driver.token).json()["status"] as? String == "bound")

        let policyID = try #require(policy["id"] as? String)
        let list = try await driver.client.json("GET", "/v1/policies", token: driver.token).json()
        #expect((list["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [policyID])
        #expect(list["next_cursor"] is NSNull)
        #expect(try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).status == 200)

        let certificate = try await driver.client.json("GET", "/v1/policies/\(policyID)/certificate", token: driver.token)
        #expect(certificate.status == 200)
        #expect(certificate.header("content-type") == "text/html; charset=utf-8")
        #expect(certificate.text.contains(policy["number"] as! String))
        #expect(certificate.text.contains("Amira Khan"))
        #expect(certificate.text.contains("AB12CDE"))
        #expect(certificate.text.contains("delivery of food"))
        #expect(certificate.text.contains("Hourglass Insurance Ltd"))

        let pdf = try await driver.client.json("GET", "/v1/policies/\(policyID)/certificate", token: driver.token,
                                               headers: [("Accept", "application/pdf")])
        #expect(pdf.status == 200)
        #expect(pdf.header("content-type") == "application/pdf")
        let pdfText = String(decoding: pdf.body, as: UTF8.self)
        #expect(pdfText.hasPrefix("%PDF-1.4"))
        #expect(pdfText.hasSuffix("%%EOF\n"))
        #expect(pdfText.contains("(\(policy["number"] as! String))"))
        // The cross-reference offset really points at the table.
        let startxref = Int(pdfText.components(separatedBy: "startxref\n")[1].split(separator: "\n")[0])!
        #expect(Array(pdf.body[startxref..<(startxref + 4)]) == Array("xref".utf8))

        let cancel = try await driver.client.json("POST", "/v1/policies/\(policyID)/cancel", token: driver.token)
        #expect(cancel.status == 200)
        #expect(try cancel.json()["status"] as? String == "cancelled")
        #expect(try await driver.client.json("POST", "/v1/policies/\(policyID)/cancel", token: driver.token).status == 409)
    }

    @Test func hourlyBlocksPriceTheWholeBlockAndWaitForSCA() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let start = Date().addingTimeInterval(3600)
        let response = try await driver.quote(["product": "hourly", "hours": 3, "starts_at": RFC3339Text.format(start)])
        #expect(response.status == 201)
        let quote = try response.json()
        #expect(quote["total_amount"] as? Int == 3 * (quote["hourly_rate_amount"] as! Int))
        #expect(quote["hours"] as? Int == 3)
        let card = try await driver.addCard("tok_sca_required")
        let bind = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!, "payment_method_id": card],
                                                token: driver.token)
        #expect(bind.status == 201)
        let policy = try bind.json()
        #expect(policy["status"] as? String == "pending_payment")
        #expect(policy["ends_at"] as? String != nil)
        let payment = try #require(policy["payment"] as? [String: Any])
        #expect(payment["status"] as? String == "requires_action")
        #expect(payment["amount"] as? Int == quote["total_amount"] as? Int)
        // No certificate until the cover is paid for: the policy exists, its certificate does not yet (409).
        #expect(try await driver.client.json("GET", "/v1/policies/\(policy["id"]!)/certificate", token: driver.token).status == 409)
    }

    @Test func declinesListEveryReason() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server, ["licence_type": "provisional", "postcode": "BT1 1AA",
                                                        "licence_issued_on": "2026-06-01"],
                                               vehicle: ["year": 1990, "value_amount": 9_000_000])
        let response = try await driver.quote()
        #expect(response.status == 422)
        let problem = try response.json()
        #expect((problem["type"] as? String)?.hasSuffix("/declined") == true)
        let codes = Set((problem["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String })
        #expect(codes == ["licence_type_refused", "licence_too_recent", "vehicle_too_old", "vehicle_value_too_high", "area_excluded"])
    }

    @Test func quoteValidation() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        for (overrides, field) in [
            (["product": "monthly"], "product"), (["usage": "joyriding"], "usage"),
            (["product": "hourly"], "hours"), (["product": "hourly", "hours": 25], "hours"),
            (["product": "hourly", "hours": 0], "hours"), (["hours": 2], "hours"),
            (["product": "hourly", "hours": 2, "starts_at": "2020-01-01T00:00:00Z"], "starts_at"),
            (["product": "hourly", "hours": 2, "starts_at": RFC3339Text.format(Date().addingTimeInterval(8 * 86400))], "starts_at"),
        ] as [([String: Any], String)] {
            let response = try await driver.quote(overrides)
            #expect(response.status == 422, "\(overrides)")
            let fields = (try response.json()["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
            #expect(fields.contains(field), "\(overrides): \(fields)")
        }
        let badTime = try await driver.quote(["product": "hourly", "hours": 2, "starts_at": "tomorrow"])
        #expect(badTime.status == 422)
        let noVehicle = try await driver.quote(["vehicle_id": UUID().uuidString])
        #expect(noVehicle.status == 404)
    }

    @Test func anotherDriversResourcesAre404() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let alice = try await TestDriver.make(server)
        let bob = try await TestDriver.make(server)
        let quoteID = try await alice.quote().json()["id"] as! String
        let policy = try await alice.client.json("POST", "/v1/policies", ["quote_id": quoteID], token: alice.token).json()
        let policyID = policy["id"] as! String
        #expect(try await bob.client.json("GET", "/v1/vehicles/\(alice.vehicleID)", token: bob.token).status == 404)
        #expect(try await bob.quote(["vehicle_id": alice.vehicleID]).status == 404)
        #expect(try await bob.client.json("GET", "/v1/quotes/\(quoteID)", token: bob.token).status == 404)
        #expect(try await bob.client.json("GET", "/v1/policies/\(policyID)", token: bob.token).status == 404)
        #expect(try await bob.client.json("GET", "/v1/policies/\(policyID)/certificate", token: bob.token).status == 404)
        #expect(try await bob.client.json("POST", "/v1/policies/\(policyID)/cancel", token: bob.token).status == 404)
        let bobQuote = try await bob.quote().json()["id"] as! String
        #expect(try await alice.client.json("POST", "/v1/policies", ["quote_id": bobQuote], token: alice.token).status == 404)
        #expect(try await bob.client.json("GET", "/v1/policies", token: bob.token).json()["data"] as? [Any] != nil)
        #expect((try await bob.client.json("GET", "/v1/policies", token: bob.token).json()["data"] as? [Any])?.isEmpty == true)
    }

    @Test func quotesExpireOnTheDriversTestClock() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let clock = try await client.json("POST", "/v1/test-clocks", ["frozen_time": "2026-03-02T09:00:00Z"])
        #expect(clock.status == 201)
        let clockID = try clock.json()["id"] as! String
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let quote = try await driver.quote().json()
        #expect(quote["valid_until"] as? String == "2026-03-02T09:30:00Z")
        #expect(quote["created_at"] as? String == "2026-03-02T09:00:00Z")

        let advanced = try await client.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-03-02T09:31:00Z"])
        #expect(advanced.status == 200)
        #expect(try advanced.json()["frozen_time"] as? String == "2026-03-02T09:31:00Z")
        #expect(try await driver.client.json("GET", "/v1/quotes/\(quote["id"]!)", token: driver.token).json()["status"] as? String == "expired")
        let bind = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token)
        #expect(bind.status == 422)
        #expect((try bind.json()["type"] as? String)?.hasSuffix("/quote-expired") == true)

        let backwards = try await client.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-03-02T09:00:00Z"])
        #expect(backwards.status == 422)
        #expect(try await client.json("GET", "/v1/test-clocks/\(UUID().uuidString)").status == 404)
    }
}

/// RFC 3339 for request bodies in tests.
enum RFC3339Text {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
