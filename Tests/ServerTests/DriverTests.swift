import Foundation
import TestSupport
import Testing

/// A valid sign-up body with a unique email; override fields per test.
func signUpBody(_ overrides: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = [
        "email": "driver-\(UUID().uuidString.prefix(12).lowercased())@example.com",
        "password": "correct horse battery",
        "full_name": "Amira Khan",
        "date_of_birth": "1994-03-12",
        "phone": "07700 900123",
        "postcode": "e1 6an",
        "licence_number": "KHANA903124AK9XY",
        "licence_type": "full",
        "licence_issued_on": "2015-06-01",
    ]
    for (key, value) in overrides { body[key] = value }
    return body
}

@Suite(.tags(.database)) struct DriverTests {
    @Test func signUpNormalisesAndReturnsAToken() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let body = signUpBody(["email": "  Amira.Khan+\(UUID().uuidString.prefix(6))@Example.COM "])
        let response = try await client.json("POST", "/v1/drivers", body)
        #expect(response.status == 201)
        let json = try response.json()
        let driver = try #require(json["driver"] as? [String: Any])
        #expect((driver["email"] as? String)?.hasPrefix("amira.khan+") == true)
        #expect(driver["postcode"] as? String == "E1 6AN")
        #expect(driver["phone"] as? String == "+447700900123")
        #expect(driver["licence_number"] as? String == "KHANA903124AK9XY")
        #expect(driver["declared_claims"] as? Int == 0)
        let token = try #require(json["token"] as? String)
        #expect(token.hasPrefix("hg_"))

        let me = try await client.json("GET", "/v1/me", token: token)
        #expect(me.status == 200)
        #expect(try me.json()["id"] as? String == driver["id"] as? String)
    }

    @Test func aRegisteredEmailIs409() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let body = signUpBody()
        #expect(try await client.json("POST", "/v1/drivers", body).status == 201)
        var again = signUpBody()
        again["email"] = (body["email"] as! String).uppercased()
        let duplicate = try await client.json("POST", "/v1/drivers", again)
        #expect(duplicate.status == 409)
        #expect(duplicate.header("content-type") == "application/problem+json")
    }

    /// Every field, every way of getting it wrong: always a 4xx problem naming the field, never 5xx.
    @Test(arguments: [
        ("email", .missing, 422), ("email", .text("not-an-email"), 422), ("email", .number(42), 422),
        ("password", .text("short"), 422), ("password", .text(String(repeating: "x", count: 129)), 422),
        ("full_name", .text(""), 422), ("full_name", .text(String(repeating: "n", count: 101)), 422),
        ("full_name", .text("Tab\tName"), 422), ("full_name", .array, 422),
        ("date_of_birth", .text("1994-02-30"), 422), ("date_of_birth", .text("12/03/1994"), 422),
        ("date_of_birth", .text("2020-01-01"), 422), ("date_of_birth", .null, 422),
        ("phone", .text("12345"), 422), ("phone", .text("+33 6 12 34 56 78"), 422),
        ("postcode", .text("NOWHERE"), 422), ("postcode", .text("E1"), 422),
        ("licence_number", .text("ABC"), 422), ("licence_type", .text("learner"), 422), ("licence_type", .missing, 422),
        ("licence_issued_on", .text("2099-01-01"), 422), ("licence_issued_on", .text("1995-01-01"), 422),
        ("declared_claims", .number(-1), 422), ("declared_claims", .number(21), 422), ("declared_claims", .text("two"), 422),
        ("test_clock_id", .text("not-a-uuid"), 422), ("test_clock_id", .text(UUID().uuidString), 422),
    ] as [(String, FieldValue, Int)])
    func badFieldsAreRejected(field: String, value: FieldValue, status: Int) async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        var body = signUpBody()
        body[field] = value.json
        let response = try await client.json("POST", "/v1/drivers", body)
        #expect(response.status == status, "\(field)=\(value)")
        #expect(response.header("content-type") == "application/problem+json")
        let problem = try response.json()
        let fields = (problem["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
        #expect(fields.contains(field), "\(field): \(problem)")
    }

    @Test func malformedBodiesAre4xx() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let notJSON = try await client.request("POST", "/v1/drivers", headers: [("Content-Type", "application/json")], body: Array("{nope".utf8))
        #expect(notJSON.status == 400)
        let empty = try await client.request("POST", "/v1/drivers", headers: [("Content-Type", "application/json")], body: [])
        #expect(empty.status == 400)
        let wrongType = try await client.request("POST", "/v1/drivers", headers: [("Content-Type", "text/plain")], body: Array("{}".utf8))
        #expect(wrongType.status == 415)
        let array = try await client.request("POST", "/v1/drivers", headers: [("Content-Type", "application/json")], body: Array("[1,2]".utf8))
        #expect(array.status == 400)
        // Regression: a NUL in the email's local part passed validation and reached PostgreSQL as a 500.
        let nul = try await client.json("POST", "/v1/drivers", signUpBody(["email": "a\u{0}b@example.com"]))
        #expect(nul.status == 400)
        let everythingMissing = try await client.json("POST", "/v1/drivers", [String: Any]())
        #expect(everythingMissing.status == 422)
        #expect(((try everythingMissing.json()["errors"]) as? [Any])?.count ?? 0 >= 8)
        let oversized = try TestConnection(port: server.port)
        let huge = try await oversized.request("POST", "/v1/drivers", headers: [("Content-Type", "application/json")],
                                                body: Array(repeating: UInt8(ascii: " "), count: 20_000))
        #expect(huge.status == 413)
    }

    @Test func loginLogoutAndThrottling() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let body = signUpBody()
        #expect(try await client.json("POST", "/v1/drivers", body).status == 201)
        let email = body["email"] as! String

        let login = try await client.json("POST", "/v1/auth/token", ["email": email.uppercased(), "password": body["password"]!])
        #expect(login.status == 200)
        let token = try #require(try login.json()["token"] as? String)
        #expect(try login.json()["expires_at"] is String)
        #expect(try await client.json("GET", "/v1/me", token: token).status == 200)

        let wrong = try await client.json("POST", "/v1/auth/token", ["email": email, "password": "wrong password!"])
        #expect(wrong.status == 401)
        let unknown = try await client.json("POST", "/v1/auth/token", ["email": "nobody-\(UUID())@example.com", "password": "whatever123"])
        #expect(unknown.status == 401)
        #expect(try unknown.json()["detail"] as? String == wrong.json()["detail"] as? String)

        #expect(try await client.json("DELETE", "/v1/auth/token", token: token).status == 204)
        #expect(try await client.json("GET", "/v1/me", token: token).status == 401)

        for _ in 0..<4 { _ = try await client.json("POST", "/v1/auth/token", ["email": email, "password": "wrong password!"]) }
        let throttled = try await client.json("POST", "/v1/auth/token", ["email": email, "password": body["password"]!])
        #expect(throttled.status == 429)
        #expect(throttled.header("retry-after") == "900")
    }

    @Test func tokensAreCheckedStrictly() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        #expect(try await client.json("GET", "/v1/me").status == 401)
        #expect(try await client.json("GET", "/v1/me", token: "hg_forged").status == 401)
        let basic = try await client.request("GET", "/v1/me", headers: [("Authorization", "Basic dXNlcjpwYXNz")])
        #expect(basic.status == 401)
        #expect(basic.header("www-authenticate") == "Bearer")
    }
}

/// A JSON value for table-driven bad-input tests (Sendable, unlike `Any`).
enum FieldValue: Sendable, CustomStringConvertible {
    case text(String), number(Int), array, null, missing

    var json: Any? {
        switch self {
        case .text(let text): text
        case .number(let number): number
        case .array: ["array"]
        case .null: NSNull()
        case .missing: nil
        }
    }

    var description: String { json.map { "\($0)" } ?? "missing" }
}
