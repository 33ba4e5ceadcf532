import AdminUI
import AppKernel
import Audit
import Foundation
import Identity
import Postgres
import TestSupport
import Testing

/// OPS.md's staff identity: password then TOTP, sessions, cookie, CSRF, Origin, headers.
@Suite(.tags(.database)) struct StaffIdentityTests {
    @Test func signingInTakesAPasswordThenACodeAndRotatesTheSession() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let email = "ops-\(UUID().uuidString.prefix(8).lowercased())@ops.example"
        _ = try await StaffDirectory(app: server.app).create(email: email, name: "Ola Ops", role: .support, password: StaffBrowser.password,
                                                             baseURL: "http://localhost")
        let browser = StaffBrowser(server: server, email: email)
        let anonymous = try await browser.get("/admin/identity/sessions")
        #expect(anonymous.status == 303)
        #expect(anonymous.header("location") == "/admin/login?next=%2Fadmin%2Fidentity%2Fsessions")

        _ = try await browser.get("/admin/login")
        // The same words for an unknown email and a wrong password.
        let wrong = try await browser.post("/admin/login", ["email": email, "password": "not the password"])
        let unknown = try await browser.post("/admin/login", ["email": "nobody@ops.example", "password": "not the password"])
        #expect(wrong.status == 401 && unknown.status == 401)
        #expect(wrong.text.contains("do not match an account") && unknown.text.contains("do not match an account"))

        let login = try await browser.post("/admin/login", ["email": email, "password": StaffBrowser.password])
        #expect(login.status == 303)
        let cookie = try #require(login.headers.first { $0.name.lowercased() == "set-cookie" && $0.value.hasPrefix("__Host-hg_admin=") }?.value)
        #expect(cookie.contains("; Path=/") && cookie.contains("; Secure") && cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict"))
        #expect(!cookie.lowercased().contains("domain="))
        let pending = try #require(browser.cookies["__Host-hg_admin"])
        #expect(Data(base64Encoded: String(pending.dropFirst(4)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=")?.count == 32)

        // Past the password only, every page leads to the second step.
        #expect(try await browser.get("/admin/").header("location") == "/admin/mfa")
        _ = try await browser.get("/admin/mfa")
        #expect(try await browser.post("/admin/mfa", ["code": "000000"]).status == 401)
        let code = try #require(try await StaffDirectory(app: server.app).currentCode(email: email))
        let passed = try await browser.post("/admin/mfa", ["code": code, "next": "/admin/"])
        #expect(passed.status == 303)
        let verified = try #require(browser.cookies["__Host-hg_admin"])
        #expect(verified != pending, "a new session id after the second factor")

        let home = try await browser.get("/admin/")
        #expect(home.status == 200)
        #expect(home.header("content-security-policy") == "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        #expect(home.header("x-content-type-options") == "nosniff")
        #expect(home.header("referrer-policy") == "same-origin")
        #expect(home.header("cache-control") == "no-store")

        // The pre-MFA session is gone: its cookie opens nothing.
        let stale = StaffBrowser(server: server, email: email)
        stale.cookies["__Host-hg_admin"] = pending
        #expect(try await stale.get("/admin/").status == 303)

        // A code is never accepted twice: a second login in the same 30 s cannot reuse it.
        let second = StaffBrowser(server: server, email: email)
        _ = try await second.get("/admin/login")
        _ = try await second.post("/admin/login", ["email": email, "password": StaffBrowser.password])
        _ = try await second.get("/admin/mfa")
        #expect(try await second.post("/admin/mfa", ["code": code]).status == 401)

        // Every attempt is on the trail.
        let actions = try await TestDatabase.pool.queryAll(
            "SELECT action FROM audit.events WHERE object_id = \(email) OR object_id IN (SELECT id::text FROM identity.staff WHERE email = \(email))",
            decode: { try $0.decode(String.self, at: 0) })
        for action in ["staff.created", "staff.login_failed", "staff.password_accepted", "staff.mfa_failed", "staff.signed_in"] {
            #expect(actions.contains(action), "\(action) in \(actions)")
        }
    }

    @Test func recoveryCodesWorkOnceAndSessionsEnd() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let email = "ops-\(UUID().uuidString.prefix(8).lowercased())@ops.example"
        let enrolment = try await StaffDirectory(app: server.app).create(email: email, name: nil, role: .finance,
                                                                         password: StaffBrowser.password, baseURL: "http://localhost")
        #expect(enrolment.recoveryCodes.count == 10)
        #expect(enrolment.otpauthURI.hasPrefix("otpauth://totp/Hourglass%3A") && enrolment.otpauthURI.contains("secret=\(enrolment.totpSecret)"))
        func signIn(with code: String) async throws -> (StaffBrowser, Int) {
            let browser = StaffBrowser(server: server, email: email)
            _ = try await browser.get("/admin/login")
            _ = try await browser.post("/admin/login", ["email": email, "password": StaffBrowser.password])
            _ = try await browser.get("/admin/mfa")
            return (browser, try await browser.post("/admin/mfa", ["code": code]).status)
        }
        let (first, status) = try await signIn(with: enrolment.recoveryCodes[0].lowercased())
        #expect(status == 303)
        #expect(try await first.get("/admin/").status == 200)
        #expect(try await signIn(with: enrolment.recoveryCodes[0]).1 == 401, "a recovery code works once")

        // Idle for 30 minutes, or 12 hours old: over.
        let (second, _) = try await signIn(with: enrolment.recoveryCodes[1])
        try await TestDatabase.pool.execute("""
            UPDATE identity.staff_sessions SET last_seen_at = now() - interval '31 minutes'
            WHERE staff_id = (SELECT id FROM identity.staff WHERE email = \(email)) AND ended_at IS NULL AND verified_at IS NOT NULL
              AND created_at = (SELECT max(created_at) FROM identity.staff_sessions s WHERE s.staff_id = staff_sessions.staff_id)
            """)
        #expect(try await second.get("/admin/").status == 303)

        // Revoked from the session list of another session.
        let (third, _) = try await signIn(with: enrolment.recoveryCodes[2])
        let list = try await first.get("/admin/identity/sessions")
        let revoke = try #require(list.text.range(of: #"/admin/identity/sessions/[0-9a-f]{32}/revoke"#, options: .regularExpression).map { String(list.text[$0]) })
        #expect(try await first.post(revoke).status == 303)
        let thirdStatus = try await third.get("/admin/").status
        let firstStatus = try await first.get("/admin/").status
        #expect(thirdStatus == 303 || firstStatus == 303, "the revoked session (the other one) is signed out")

        // Signing out ends the session.
        _ = try await first.get("/admin/")
        #expect(try await first.post("/admin/logout").status == 303)
        #expect(try await first.get("/admin/").status == 303)
    }

    @Test func postsNeedTheirCSRFTokenAndOurOrigin() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let browser = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await browser.post("/admin/logout", csrf: .some(nil)).status == 403)
        #expect(try await browser.post("/admin/logout", csrf: .some("0123456789abcdef0123456789abcdef0123456789abcdef")).status == 403)
        #expect(try await browser.post("/admin/logout", headers: [("Origin", "https://evil.example")]).status == 403)
        #expect(try await browser.post("/admin/logout", headers: [("Origin", "null")]).status == 403)
        #expect(try await browser.get("/admin/").status == 200, "still signed in after the refused posts")
        #expect(try await browser.post("/admin/logout", headers: [("Origin", "http://localhost")]).status == 303)
        // A login form without its double-submitted token is refused too.
        let stranger = StaffBrowser(server: server, email: "x@ops.example")
        #expect(try await stranger.post("/admin/login", ["email": "x@ops.example", "password": "whatever", "csrf": "forged"]).status == 403)
    }

    @Test func aDriversTokenNeverOpensTheAdmin() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let response = try await driver.client.request("GET", "/admin/", headers: [("Authorization", "Bearer \(driver.token)")])
        #expect(response.status == 303)
        #expect(response.header("location")?.hasPrefix("/admin/login") == true)
    }

    @Test func loginsAreThrottledPerAccountAndAddress() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let email = "ops-\(UUID().uuidString.prefix(8).lowercased())@ops.example"
        _ = try await StaffDirectory(app: server.app).create(email: email, name: nil, role: .support, password: StaffBrowser.password, baseURL: "x")
        let browser = StaffBrowser(server: server, email: email)
        _ = try await browser.get("/admin/login")
        for _ in 0..<5 { #expect(try await browser.post("/admin/login", ["email": email, "password": "wrong password!"]).status == 401) }
        let held = try await browser.post("/admin/login", ["email": email, "password": StaffBrowser.password])
        #expect(held.status == 429)
    }
}
