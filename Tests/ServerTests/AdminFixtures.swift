import AppKernel
import Foundation
import Identity
import TestSupport
import Testing

/// A member of staff driving the admin over a loopback socket, like a browser: it keeps the
/// session cookie, reads the CSRF token off forms and follows what the server tells it.
final class StaffBrowser: @unchecked Sendable {
    let server: TestServer
    let email: String
    var cookies: [String: String] = [:]
    var csrf: String?

    init(server: TestServer, email: String) {
        self.server = server
        self.email = email
    }

    /// A new account of `role` with a known password, signed in through the login and TOTP pages.
    static func signedIn(_ server: TestServer, role: StaffRole, name: String? = nil) async throws -> StaffBrowser {
        let email = "\(role.rawValue)-\(UUID().uuidString.prefix(8).lowercased())@ops.example"
        _ = try await StaffDirectory(app: server.app).create(email: email, name: name ?? "\(role.title) tester", role: role,
                                                             password: StaffBrowser.password, baseURL: "http://localhost")
        let browser = StaffBrowser(server: server, email: email)
        try await browser.signIn()
        return browser
    }

    static let password = "correct horse battery staple"

    func signIn() async throws {
        let form = try await get("/admin/login")
        #expect(form.status == 200)
        let login = try await post("/admin/login", ["email": email, "password": Self.password, "next": "/admin/"])
        #expect(login.status == 303, "\(login.text)")
        #expect(login.header("location")?.hasPrefix("/admin/mfa") == true)
        let code = try #require(try await StaffDirectory(app: server.app).currentCode(email: email))
        _ = try await get("/admin/mfa")
        let mfa = try await post("/admin/mfa", ["code": code, "next": "/admin/"])
        #expect(mfa.status == 303, "\(mfa.text)")
        _ = try await get("/admin/")
    }

    @discardableResult
    func get(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await send("GET", path, body: nil, headers: headers)
    }

    /// A form POST; the CSRF token of the last page is added unless `csrf` says otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [String: String] = [:], csrf: String?? = .none, headers: [(String, String)] = []) async throws -> TestResponse {
        var all = fields
        switch csrf {
        case .none: if let token = self.csrf { all["csrf"] = token }
        case .some(let token?): all["csrf"] = token
        case .some(nil): break
        }
        let body = all.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await send("POST", path, body: Array(body.utf8),
                              headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers)
    }

    func send(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws -> TestResponse {
        let connection = try TestConnection(port: server.port)
        var all = headers
        if !cookies.isEmpty { all.append(("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))) }
        let response = try await connection.request(method, path, headers: all, body: body)
        for (name, value) in response.headers where name.lowercased() == "set-cookie" {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let key = String(pair[0])
            let cookie = pair.count > 1 ? String(pair[1]) : ""
            if cookie.isEmpty || value.contains("Max-Age=0") { cookies[key] = nil } else { cookies[key] = cookie }
        }
        if let token = Self.csrfToken(in: response.text) { csrf = token }
        return response
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        let match = String(html[range])
        return match.components(separatedBy: "value=\"").last.map { String($0.dropLast()) }
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Staff actions as a browser takes them: the object page's form, then the confirmation page.
extension StaffBrowser {
    /// Posts an action's first form; on success the confirmation page carries its one-time token.
    func plan(_ action: String, _ fields: [String: String]) async throws -> (page: TestResponse, token: String?) {
        let page = try await post("/admin/actions/\(action)", fields)
        let token = page.text.range(of: #"name="token" value="([0-9a-f-]{36})""#, options: .regularExpression)
            .map { String(page.text[$0].dropFirst(#"name="token" value=""#.count).dropLast()) }
        return (page, token)
    }

    /// Confirms a planned action: 303 to its result (or, under four-eyes, to its approval).
    func confirm(_ action: String, token: String) async throws -> TestResponse {
        try await post("/admin/actions/\(action)/confirm", ["token": token])
    }

    /// Plans and confirms; returns the confirmation's answer and the request's id.
    func act(_ action: String, _ fields: [String: String]) async throws -> (response: TestResponse, id: String) {
        let (page, token) = try await plan(action, fields)
        let id = try #require(token, "no confirmation for \(action): \(page.status) \(page.text.prefix(600))")
        return (try await confirm(action, token: id), id)
    }
}
