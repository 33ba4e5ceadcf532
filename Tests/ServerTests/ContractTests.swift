import AppKernel
import Foundation
import HTTPServer
import OpsHealth
import TestSupport
import Testing

/// Issue #10: the contract to the letter. Every check here failed before it.
@Suite(.tags(.database)) struct ContractTests {
    /// Every documented field is present, null when it does not apply.
    @Test func fieldsThatDoNotApplyAreNullNotMissing() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let quote = try await driver.quote().json()
        for key in ["hours", "starts_at", "ends_at"] { #expect(quote.keys.contains(key) && quote[key] is NSNull, "quote \(key)") }
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()
        for key in ["ends_at", "cancelled_at", "paid_at", "funding", "refund", "payment"] {
            #expect(policy.keys.contains(key) && policy[key] is NSNull, "policy \(key)")
        }
        let cover = try await driver.client.json("GET", "/v1/cover", token: driver.token).json()
        for key in ["policy_id", "session_id", "covered_until"] { #expect(cover.keys.contains(key) && cover[key] is NSNull, "cover \(key)") }
        // Ids are lower case everywhere: bodies, and the texts of errors about them.
        #expect((quote["id"] as? String) == (quote["id"] as? String)?.lowercased())
        let missing = UUID().uuidString
        let notFound = try await driver.client.json("GET", "/v1/quotes/\(missing)", token: driver.token).json()
        #expect((notFound["detail"] as? String)?.contains(missing.lowercased()) == true)
        // One timestamp form: whole seconds with Z.
        for key in ["valid_until", "created_at"] {
            #expect((quote[key] as? String)?.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"#, options: .regularExpression) != nil)
        }
    }

    /// A value of the wrong type is a field error naming the field, every invalid field at
    /// once, and no decoder text reaches the client.
    @Test func everyInvalidFieldIsNamedAtOnce() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let response = try await driver.client.json("POST", "/v1/quotes", [
            "vehicle_id": "not-a-uuid", "product": "hourly", "usage": 7, "hours": 1.5, "starts_at": "next tuesday", "colour": "red",
        ], token: driver.token)
        #expect(response.status == 422)
        let problem = try response.json()
        let fields = Set(((problem["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
        #expect(fields == ["vehicle_id", "usage", "hours", "starts_at", "colour"])
        #expect(!response.text.contains("decode") && !response.text.contains("Attempted"), "\(response.text)")
        let huge = try await driver.client.json("POST", "/v1/wallet/top-ups", ["amount": 9_007_199_254_740_993, "payment_method_id": UUID().uuidString],
                                                token: driver.token)
        #expect(huge.status == 422)
        #expect(((try huge.json()["errors"] as? [[String: Any]]) ?? []).first?["field"] as? String == "amount")
        // A missing required field is 422 on every route.
        for (path, body) in [("/v1/quotes", [String: Any]()), ("/v1/vehicles", [:]), ("/v1/policies", [:]), ("/v1/wallet/top-ups", [:])] {
            #expect(try await driver.client.json("POST", path, body, token: driver.token).status == 422, "\(path)")
        }
        // An unknown query parameter is 400, never ignored.
        #expect(try await driver.client.json("GET", "/v1/policies?status=active&colour=red", token: driver.token).status == 400)
    }

    /// The same JSON written differently under the same key is a replay, not a reused key.
    @Test func idempotencyComparesMeaningNotBytes() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let quote = try await driver.quote().json()["id"] as! String
        let key = UUID().uuidString
        func bind(_ text: String) async throws -> TestResponse {
            try await driver.client.request("POST", "/v1/policies", headers: [
                ("Authorization", "Bearer \(driver.token)"), ("Content-Type", "application/json"), ("Idempotency-Key", key),
            ], body: Array(text.utf8))
        }
        let first = try await bind(#"{"quote_id":"\#(quote)"}"#)
        #expect(first.status == 201)
        let again = try await bind("{\n  \"quote_id\" :  \"\(quote)\"\n}")
        #expect(again.status == 201)
        #expect(again.header("idempotent-replayed") == "true")
        #expect(again.body == first.body)
        #expect(try await bind(#"{"quote_id":"\#(UUID().uuidString)"}"#).status == 422)
    }

    /// The cover lookup says until when cover is paid for.
    @Test func coverSaysUntilWhen() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-09-14T10:00:00Z")
        #expect(try await scene.driver.client.json("POST", "/v1/policies/\(scene.policyID)/sessions", token: scene.driver.token).status == 201)
        try await scene.advance(to: "2026-09-14T10:20:00Z")
        let answer = try await scene.cover()
        #expect(answer["covered"] as? Bool == true)
        #expect(answer["covered_until"] as? String == "2026-09-14T11:00:00Z")   // the paid first hour
        // Sessions paginate like every list.
        let page = try await scene.driver.client.json("GET", "/v1/policies/\(scene.policyID)/sessions?limit=1", token: scene.driver.token).json()
        #expect((page["data"] as? [Any])?.count == 1)
        #expect(page["next_cursor"] is NSNull)
    }

    /// A link needs the provider's signed confirmation of the driver's code. Before, any driver
    /// could link any rider's id, see that rider's shifts and lock the real rider out.
    @Test func linksNeedTheProvidersConfirmation() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let rider = "confirm-\(UUID().uuidString.prefix(8))"
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let impostor = try await TestDriver.make(server)
        let owner = try await TestDriver.make(server)
        func request(_ driver: TestDriver) async throws -> [String: Any] {
            let response = try await driver.client.json("POST", "/v1/work-provider-links", ["provider": "deliveroo", "provider_driver_id": rider],
                                                        token: driver.token)
            #expect(response.status == 201, "\(response.text)")
            return try response.json()
        }
        let claimed = try await request(impostor)
        #expect(claimed["status"] as? String == "pending")
        #expect((claimed["link_code"] as? String)?.count == 8)
        // A pending request blocks nobody: the real rider asks too and the provider confirms theirs.
        let real = try await request(owner)
        #expect(try await deliveroo.confirm(rider, code: "WRONG123").status == 422)
        #expect(try await deliveroo.confirm(rider, code: real["link_code"] as! String, secret: "not-the-secret").status == 401)
        let confirmed = try await deliveroo.confirm(rider, code: real["link_code"] as! String)
        #expect(confirmed.status == 200)
        #expect(try confirmed.json()["status"] as? String == "active")
        #expect(try confirmed.json()["driver_id"] as? String == real["driver_id"] as? String)
        #expect(try confirmed.json()["link_code"] is NSNull)
        // Now the impostor's request has lapsed, its code is worthless, and asking again is 409.
        #expect(try await deliveroo.confirm(rider, code: claimed["link_code"] as! String).status == 422)
        #expect(try await impostor.client.json("POST", "/v1/work-provider-links", ["provider": "deliveroo", "provider_driver_id": rider],
                                               token: impostor.token).status == 409)
        let links = try await owner.client.json("GET", "/v1/work-provider-links", token: owner.token).json()["data"] as! [[String: Any]]
        #expect(links.map { $0["status"] as? String } == ["active"])
        let impostorLinks = try await impostor.client.json("GET", "/v1/work-provider-links", token: impostor.token).json()["data"] as! [[String: Any]]
        #expect(impostorLinks.map { $0["status"] as? String } == ["expired"])
    }

    /// A code is valid 15 minutes, on the requesting driver's clock.
    @Test func anExpiredLinkCodeIsRefused() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-09-15T09:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let rider = "expiry-\(UUID().uuidString.prefix(8))"
        let requested = try await driver.client.json("POST", "/v1/work-provider-links", ["provider": "uber_eats", "provider_driver_id": rider],
                                                     token: driver.token).json()
        #expect(requested["link_code_expires_at"] as? String == "2026-09-15T09:15:00Z")
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-09-15T09:16:00Z"])
        let provider = ProviderClient(connection: try TestConnection(port: server.port), provider: "uber_eats")
        #expect(try await provider.confirm(rider, code: requested["link_code"] as! String).status == 422)
    }

    /// HTML answers carry security headers; the sandbox bank page is on the API's own host and port.
    @Test func htmlIsLockedDownAndTheBankPageIsOurs() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let quote = try await driver.quote().json()
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()
        let certificate = try await driver.client.json("GET", "/v1/policies/\(policy["id"]!)/certificate", token: driver.token)
        #expect(certificate.header("content-security-policy")?.contains("default-src 'none'") == true)
        #expect(certificate.header("x-frame-options") == "DENY")
        #expect(certificate.header("x-content-type-options") == "nosniff")
        let card = try await driver.addCard("tok_sca_required")
        let payment = try await driver.topUp(1000, card: card).json()
        let url = try #require(URLComponents(string: (payment["next_action"] as? [String: Any])?["redirect_url"] as? String ?? ""))
        #expect(url.port.map(UInt16.init) == server.port)
        #expect(url.path.hasPrefix("/sandbox/sca/"))
        let page = try await driver.client.request("GET", url.path)
        #expect(page.status == 200)
        #expect(page.text.contains("Authenticate"))
    }

    /// /metrics is not public in production: without a token it is not served at all.
    @Test func metricsAreClosedInProductionWithoutAToken() async throws {
        for (overrides, status) in [([String: String](), 404), (["METRICS_TOKEN": "m3tr1cs"], 401)] {
            var environment = overrides
            environment["HOURGLASS_ENV"] = "production"
            let config = try TestServer.config(environment)
            let server = try TestServer(config: config, database: TestDatabase.pool, modules: { app in
                [OpsHealthModule(app: app, config: try! app.config.section(OpsHealthConfig.self))]
            })
            defer { Task { await server.stop() } }
            let connection = try TestConnection(port: server.port)
            #expect(try await connection.request("GET", "/metrics").status == status)
            if status == 401 {
                #expect(try await connection.request("GET", "/metrics", headers: [("Authorization", "Bearer m3tr1cs")]).status == 200)
            }
        }
    }
}

@Suite(.tags(.database)) struct LengthLimitTests {
    /// Length limits count what the database counts: a name of 60 letters each written with a
    /// combining accent is 120 characters to PostgreSQL. It passed validation (60 "characters")
    /// and then failed the database CHECK as a 500.
    @Test func combiningMarksCountAsTheDatabaseCountsThem() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let name = String(repeating: "e\u{301}", count: 60)
        let response = try await client.json("POST", "/v1/drivers", signUpBody(["full_name": name]))
        #expect(response.status == 422)
        #expect(((try response.json()["errors"] as? [[String: Any]]) ?? []).first?["field"] as? String == "full_name")
        let fine = try await client.json("POST", "/v1/drivers", signUpBody(["full_name": String(repeating: "e\u{301}", count: 50)]))
        #expect(fine.status == 201)
    }
}

/// What schemathesis found (scripts/bench/schemathesis): where the document and the server
/// disagreed about what a request may be. Each check failed before its fix.
@Suite(.tags(.database)) struct DocumentedInputTests {
    /// Any cursor of the documented shape is a position, and is accepted; anything else is 400.
    /// Before, `?cursor=` (empty, allowed by `type: string`) was 400.
    @Test func aCursorTheDocumentAllowsIsAccepted() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let cursor = "1764590400000000_\(UUID().uuidString.lowercased())"
        #expect(cursor.range(of: PageRequest.cursorPattern, options: .regularExpression) != nil)
        #expect(try await driver.client.json("GET", "/v1/policies?cursor=\(cursor)", token: driver.token).status == 200)
        for bad in ["", "abc", "1764590400000000_\(UUID().uuidString)"] {
            #expect(try await driver.client.json("GET", "/v1/policies?cursor=\(bad)", token: driver.token).status == 400, "\(bad)")
        }
        // A limit past 64 bits is not an int64 (400); one within is capped at 200.
        #expect(try await driver.client.json("GET", "/v1/policies?limit=9223372036854775808", token: driver.token).status == 400)
        #expect(try await driver.client.json("GET", "/v1/policies?limit=9223372036854775807", token: driver.token).status == 200)
    }

    /// Text rules are the document's: the length limit counts what was sent, surrounding space
    /// and line breaks are trimmed, control characters inside are refused, and a claim's
    /// account may span lines.
    @Test func textIsCheckedAsSentAndClaimsMaySpanLines() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        for name in ["Amira\nKhan", "Amira\u{7}Khan", String(repeating: "a", count: 100) + " "] {
            let response = try await client.json("POST", "/v1/drivers", signUpBody(["full_name": name]))
            #expect(response.status == 422, "\(name.debugDescription)")
            #expect(((try response.json()["errors"] as? [[String: Any]]) ?? []).first?["field"] as? String == "full_name")
        }
        // Surrounding space, tabs and line breaks (a pasted value's trailing newline) are trimmed.
        for name in ["  Amira Khan  ", "Amira Khan\n", "\tAmira Khan\r\n"] {
            let response = try await client.json("POST", "/v1/drivers", signUpBody(["full_name": name]))
            #expect(response.status == 201, "\(name.debugDescription)")
            #expect((try response.json()["driver"] as? [String: Any])?["full_name"] as? String == "Amira Khan")
        }
        // GIR 0AA passed validation and then failed the database's CHECK: a 500.
        let gir = try await client.json("POST", "/v1/drivers", signUpBody(["postcode": "GIR 0AA"]))
        #expect(gir.status == 422)
        #expect(((try gir.json()["errors"] as? [[String: Any]]) ?? []).first?["field"] as? String == "postcode")

        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-09-01T09:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let policy = try await driver.client.json("POST", "/v1/policies", ["quote_id": try await driver.quote().json()["id"]!],
                                                  token: driver.token).json()["id"] as! String
        #expect(try await driver.topUp(2000, card: try await driver.addCard("tok_visa")).status == 201)
        _ = try await driver.client.json("POST", "/v1/policies/\(policy)/sessions", token: driver.token)
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-09-01T09:30:00Z"])
        var claim: [String: Any] = ["policy_id": policy, "occurred_at": "2026-09-01T09:15:00Z", "type": "accident",
                                    "description": "Rear-ended at a junction.\nThe other driver stopped.\r\n\tNo injuries.",
                                    "location": "Commercial Road, E1"]
        let created = try await driver.client.json("POST", "/v1/claims", claim, token: driver.token)
        #expect(created.status == 201, "\(created.text)")
        #expect((try created.json()["description"] as? String)?.contains("\nThe other driver") == true)
        claim["description"] = "A bell\u{7} rang"
        #expect(try await driver.client.json("POST", "/v1/claims", claim, token: driver.token).status == 422)
        claim["description"] = "Fine"
        claim["location"] = "Two\nlines"
        #expect(try await driver.client.json("POST", "/v1/claims", claim, token: driver.token).status == 422)
    }

    /// The sandbox bank's form is validated like any body: 415 for another media type, 422
    /// for a result that is neither pass nor fail (it used to count as "fail").
    @Test func theSandboxBankFormIsValidated() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let payment = try await driver.topUp(1000, card: try await driver.addCard("tok_sca_required")).json()
        let path = try #require(URLComponents(string: (payment["next_action"] as? [String: Any])?["redirect_url"] as? String ?? "")?.path)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        #expect(try await driver.client.request("POST", path, headers: form, body: Array("result=maybe".utf8)).status == 422)
        #expect(try await driver.client.request("POST", path, headers: [("Content-Type", "text/plain")], body: Array("result=pass".utf8)).status == 415)
        #expect(try await driver.client.request("POST", path, headers: form, body: Array("result=pass".utf8)).status == 200)
        let confirmed = try await driver.client.json("POST", "/v1/payments/\(payment["id"]!)/confirm", token: driver.token).json()
        #expect(confirmed["status"] as? String == "succeeded")
    }
}
