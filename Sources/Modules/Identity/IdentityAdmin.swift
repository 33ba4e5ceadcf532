public import AdminUI
public import AppKernel
import Audit
import Cryptography
import Foundation
import HTTPServer
import Postgres

/// The staff side's pages: sign in (password, then TOTP or a recovery code), sudo, sign out,
/// one's own sessions, and for admins the staff accounts and their roles.
public struct IdentityAdmin: AdminSection {
    let directory: StaffDirectory
    var app: AppContext { directory.app }
    var store: IdentityStore { IdentityStore(database: app.database) }

    public init(directory: StaffDirectory) { self.directory = directory }

    static let failureWindow: TimeInterval = 15 * 60
    static let maxFailuresPerAccountAndAddress = 5
    static let maxFailuresPerAccount = 10
    static let maxSecondFactorFailures = 5

    public var navigation: [AdminNavItem] {
        [AdminNavItem("Staff", "/admin/identity/staff", group: "Platform", permission: .staff),
         AdminNavItem("My sessions", "/admin/identity/sessions", group: "Platform", permission: .signedIn)]
    }

    public var pages: [AdminPage] {
        [
            AdminPage(.get, "/admin/login", .signedOut) { loginPage($0, error: nil) },
            AdminPage(.post, "/admin/login", .signedOut) { try await login($0) },
            AdminPage(.get, "/admin/mfa", .pendingSecondFactor) { mfaPage($0, error: nil) },
            AdminPage(.post, "/admin/mfa", .pendingSecondFactor) { try await secondFactor($0) },
            AdminPage(.post, "/admin/logout", .anySession) { try await logout($0) },
            .get("/admin/sudo", .signedIn) { sudoPage($0, error: nil) },
            .post("/admin/sudo", .signedIn) { try await sudo($0) },
            .get("/admin/identity/sessions", .signedIn) { try await sessions($0) },
            .post("/admin/identity/sessions/{session}/revoke", .signedIn) { try await revoke($0) },
            .get("/admin/identity/staff", .staff) { try await staffList($0, invited: nil) },
            .get("/admin/identity/staff/{id}", .staff) { try await staffPage($0) },
            AdminPage(.get, "/admin/setup", .signedOut) { try await setupPage($0) },
            AdminPage(.post, "/admin/setup", .signedOut) { try await setup($0) },
        ]
    }

    // MARK: Sign in

    /// Only a path of the admin itself (never another site): `/admin/…`.
    static func safeNext(_ text: String?) -> String {
        guard let text, text.hasPrefix("/admin"), !text.hasPrefix("//"), !text.contains("\\"), !text.hasPrefix("/admin/login"),
              !text.hasPrefix("/admin/mfa"), !text.hasPrefix("/admin/logout") else { return "/admin/" }
        return text
    }

    func loginPage(_ request: AdminRequest, error: String?, status: HTTPStatus = .ok) -> AdminResponse {
        let existing = AdminMount.cookie(AdminMount.loginCookie, in: request.call.request)
        let token = existing ?? Digest.randomBytes(16).hexString
        let next = Self.safeNext(request.query["next"] ?? request.form["next"])
        let message: HTML = error.map { AdminHTML.notice($0, .bad) } ?? ""
        let body: HTML = """
            \(message)<form class="stack card" method="post" action="/admin/login" data-action="login">\
            <input type="hidden" name="csrf" value="\(token)"><input type="hidden" name="next" value="\(next)">\
            <label>Email <input type="email" name="email" autocomplete="username" required autofocus value="\(request.form["email"] ?? "")"></label>\
            <label>Password <input type="password" name="password" autocomplete="current-password" required></label>\
            <button type="submit">Continue</button></form>
            """
        let headers = existing == nil ? [AdminMount.setCookie(AdminMount.loginCookie, token, maxAge: 3600)] : []
        return .page(AdminView(title: "Sign in", body: body, status: status, headers: headers, bare: true))
    }

    func login(_ request: AdminRequest) async throws -> AdminResponse {
        let email = (request.form["email"] ?? "").lowercased()
        let password = request.form.pairs.first { $0.name == "password" }?.value ?? ""
        let address = request.context.clientAddress
        let key = "staff:" + email
        let now = request.now
        let failures = try await store.recentFailures(email: key, address: address, since: now.addingTimeInterval(-Self.failureWindow))
        let limit = try directory.config.loginMaxFailuresPerAddress
        if failures.address >= limit || failures.pair >= Self.maxFailuresPerAccountAndAddress
            || (failures.email >= Self.maxFailuresPerAccount && failures.pair > 0) {
            try await Audit.record("staff.login_throttled", AuditObject("staff_login", email.isEmpty ? "-" : email), on: app.database)
            return loginPage(request, error: "Too many failed attempts. Wait 15 minutes and try again.", status: .tooManyRequests)
        }
        let secrets = email.isEmpty ? nil : try await store.staffSecrets(email: email)
        let verified: Bool
        if let secrets, let hash = secrets.passwordHash, secrets.member.disabledAt == nil {
            verified = try await directory.hasher.verify(password, against: hash)
        } else {
            try await directory.hasher.verifyNothing(password)  // the same time for an unknown email
            verified = false
        }
        guard verified, let member = secrets?.member else {
            try await store.recordFailure(email: key, address: address)
            try await Audit.record("staff.login_failed", AuditObject("staff_login", email.isEmpty ? "-" : email), on: app.database)
            // The same words for an unknown email and a wrong password.
            return loginPage(request, error: "That email and password do not match an account.", status: .unauthorized)
        }
        try await store.clearFailures(email: key, address: address)
        let token = StaffDirectory.newSessionToken()
        try await app.database.withTransaction { transaction in
            try await IdentityStore(database: transaction).insertSession(
                idHash: token.hash, staffID: member.id, csrfToken: StaffDirectory.newCSRFToken(), at: now, verifiedAt: nil, sudoAt: nil,
                clientAddress: address, userAgent: request.call.request.headers["user-agent"] ?? "")
            try await AuditContext.acting(as: Self.actor(member, request, session: token.hash)) {
                try await Audit.record("staff.password_accepted", AuditObject("staff", member.id), on: transaction)
            }
        }
        let next = Self.safeNext(request.form["next"])
        return .raw(AdminShell.redirect("/admin/mfa?next=\(AdminHTML.percentEncode(next))",
                                        headers: [AdminMount.setCookie(StaffDirectory.cookieName, token.cookie), AdminMount.clearCookie(AdminMount.loginCookie)]))
    }

    static func actor(_ member: StaffMember, _ request: AdminRequest, session: Data) -> AuditContext {
        AuditContext(actor: "staff:\(member.id.uuidString.lowercased())", role: member.role.rawValue, session: session.prefix(16).hexString,
                     clientAddress: request.context.clientAddress, requestID: request.call.requestID)
    }

    func mfaPage(_ request: AdminRequest, error: String?, status: HTTPStatus = .ok) -> AdminResponse {
        let message: HTML = error.map { AdminHTML.notice($0, .bad) } ?? ""
        let next = Self.safeNext(request.query["next"] ?? request.form["next"])
        let body: HTML = """
            \(message)<form class="stack card" method="post" action="/admin/mfa" data-action="mfa">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)"><input type="hidden" name="next" value="\(next)">\
            <label>Code from your authenticator app <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" \
            minlength="6" maxlength="12" required autofocus></label>\
            <p class="muted">No phone? Type one of your recovery codes instead (each works once).</p>\
            <button type="submit">Sign in</button></form>\
            <form method="post" action="/admin/logout" data-action="logout"><input type="hidden" name="csrf" value="\(request.staff.csrfToken)">\
            <button type="submit" class="link">Cancel</button></form>
            """
        return .page(AdminView(title: "Second step", body: body, status: status, bare: true))
    }

    /// A 6-digit TOTP code (this step or one back, never a step twice) or an unused recovery
    /// code; then the session gets a new id (OPS.md: new id after MFA).
    func secondFactor(_ request: AdminRequest) async throws -> AdminResponse {
        let staff = request.staff
        let code = (request.form["code"] ?? "").filter { !$0.isWhitespace }
        let now = request.now
        let failureKey = "mfa:\(staff.id.uuidString.lowercased())"
        let failures = try await store.recentFailures(email: failureKey, address: request.context.clientAddress,
                                                      since: now.addingTimeInterval(-Self.failureWindow))
        if failures.email >= Self.maxSecondFactorFailures {
            try await endCurrentSession(request, reason: "revoked")
            try await Audit.record("staff.mfa_throttled", AuditObject("staff", staff.id), on: app.database)
            return .raw(AdminShell.redirect("/admin/login", headers: [AdminMount.clearCookie(StaffDirectory.cookieName)]))
        }
        guard let secrets = try await store.staffSecrets(id: staff.id), let secret = try directory.box.open(secrets.sealedTOTPSecret) else {
            throw AppError.unauthorized("sign in again")
        }
        var usedTOTP = false
        var accepted = false
        if code.count == 6, code.allSatisfy(\.isNumber), let step = TOTP(secret: secret).matchingStep(code, at: Int64(now.timeIntervalSince1970)) {
            accepted = try await store.acceptTOTPStep(staffID: staff.id, step: step)
            usedTOTP = accepted
        } else if code.count >= 10 {
            accepted = try await store.useRecoveryCode(staffID: staff.id, hash: StaffDirectory.recoveryHash(code))
        }
        guard accepted else {
            try await store.recordFailure(email: failureKey, address: request.context.clientAddress)
            try await Audit.record("staff.mfa_failed", AuditObject("staff", staff.id), on: app.database)
            return mfaPage(request, error: "That code is not right (or was used already). Try the next one.", status: .unauthorized)
        }
        let token = StaffDirectory.newSessionToken()
        let old = try Self.currentHash(request)
        try await app.database.withTransaction { transaction in
            let store = IdentityStore(database: transaction)
            try await store.endSession(idHash: old, at: now, reason: "rotated")
            try await store.insertSession(idHash: token.hash, staffID: staff.id, csrfToken: StaffDirectory.newCSRFToken(), at: now,
                                          verifiedAt: now, sudoAt: usedTOTP ? now : nil, clientAddress: request.context.clientAddress,
                                          userAgent: request.call.request.headers["user-agent"] ?? "")
            try await Audit.record(usedTOTP ? "staff.signed_in" : "staff.signed_in_with_recovery_code", AuditObject("staff", staff.id),
                                   on: transaction)
        }
        return .raw(AdminShell.redirect(Self.safeNext(request.form["next"]), headers: [AdminMount.setCookie(StaffDirectory.cookieName, token.cookie)]))
    }

    static func currentHash(_ request: AdminRequest) throws -> Data {
        guard let cookie = AdminMount.cookie(StaffDirectory.cookieName, in: request.call.request) else { throw AppError.unauthorized("sign in") }
        return StaffDirectory.sessionHash(cookie)
    }

    func endCurrentSession(_ request: AdminRequest, reason: String) async throws {
        try await store.endSession(idHash: try Self.currentHash(request), at: request.now, reason: reason)
    }

    func logout(_ request: AdminRequest) async throws -> AdminResponse {
        try await app.database.withTransaction { transaction in
            try await IdentityStore(database: transaction).endSession(idHash: try Self.currentHash(request), at: request.now, reason: "logout")
            try await Audit.record("staff.signed_out", AuditObject("staff", request.staff.id), on: transaction)
        }
        return .raw(AdminShell.redirect("/admin/login", headers: [AdminMount.clearCookie(StaffDirectory.cookieName)]))
    }

    // MARK: Sudo

    func sudoPage(_ request: AdminRequest, error: String?, status: HTTPStatus = .ok) -> AdminResponse {
        let message: HTML = error.map { AdminHTML.notice($0, .bad) } ?? ""
        let next = Self.safeNext(request.query["next"] ?? request.form["next"])
        let state: HTML = AdminMount.inSudo(request.staff, now: request.now)
            ? AdminHTML.notice("You confirmed a code in the last 10 minutes; sensitive actions are open.", .good) : ""
        let body: HTML = """
            \(state)\(message)<p>Refunds, cancellations, flags, maintenance mode and staff changes need a code from your \
            authenticator app entered in the last 10 minutes. Recovery codes do not count here.</p>\
            <form class="stack card" method="post" action="/admin/sudo" data-action="sudo">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)"><input type="hidden" name="next" value="\(next)">\
            <label>Authenticator code <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus></label>\
            <button type="submit">Confirm</button></form>
            """
        return .page(AdminView(title: "Confirm it is you", body: body, status: status))
    }

    func sudo(_ request: AdminRequest) async throws -> AdminResponse {
        let staff = request.staff
        let code = (request.form["code"] ?? "").filter(\.isNumber)
        guard let secrets = try await store.staffSecrets(id: staff.id), let secret = try directory.box.open(secrets.sealedTOTPSecret),
              code.count == 6, let step = TOTP(secret: secret).matchingStep(code, at: Int64(request.now.timeIntervalSince1970)),
              try await store.acceptTOTPStep(staffID: staff.id, step: step)
        else {
            try await Audit.record("staff.sudo_failed", AuditObject("staff", staff.id), on: app.database)
            return sudoPage(request, error: "That code is not right (or was used already). Wait for the next one.", status: .unauthorized)
        }
        try await app.database.withTransaction { transaction in
            try await IdentityStore(database: transaction).setSudo(idHash: try Self.currentHash(request), at: request.now)
            try await Audit.record("staff.sudo", AuditObject("staff", staff.id), on: transaction)
        }
        return .redirect(Self.safeNext(request.form["next"]))
    }

    // MARK: Sessions

    func sessions(_ request: AdminRequest) async throws -> AdminResponse {
        let list = try await store.sessions(staffID: request.staff.id, limit: 50)
        let current = try Self.currentHash(request).prefix(16).hexString
        let rows = list.map { session -> [HTML] in
            let live = session.endedAt == nil && request.now.timeIntervalSince(session.lastSeenAt) < StaffDirectory.idleTimeout
                && request.now.timeIntervalSince(session.createdAt) < StaffDirectory.absoluteTimeout
            let isCurrent = session.idHash.prefix(16).hexString == current
            let state: HTML = isCurrent ? AdminHTML.badge("this session", .info)
                : live ? AdminHTML.badge("active", .good) : AdminHTML.badge(session.endedReason ?? "expired", .plain)
            let action: HTML = live && !isCurrent
                ? AdminHTML.actionForm(request, action: "/admin/identity/sessions/\(session.publicID)/revoke", name: "revoke_session", submit: "Revoke")
                : ""
            return [AdminFormat.time(session.createdAt), AdminFormat.time(session.lastSeenAt), "\(session.clientAddress)",
                    "\(String(session.userAgent.prefix(80)))", state, action]
        }
        let body = AdminHTML.section("Sessions", AdminHTML.table(["Signed in", "Last seen", "Address", "Browser", "State", ""], rows))
        return .page(AdminView(title: "My sessions", body: body))
    }

    func revoke(_ request: AdminRequest) async throws -> AdminResponse {
        let publicID = try request.parameter("session")
        let ended = try await app.database.withTransaction { transaction -> Bool in
            let ended = try await IdentityStore(database: transaction).endSession(staffID: request.staff.id, publicID: publicID, at: request.now, reason: "revoked")
            if ended { try await Audit.record("staff.session_revoked", AuditObject("staff_session", publicID, owner: ("staff", request.staff.id.uuidString.lowercased())), on: transaction) }
            return ended
        }
        guard ended else { throw AppError.notFound("no such session of yours") }
        return .redirect("/admin/identity/sessions")
    }

    // MARK: Staff (admins)

    func staffList(_ request: AdminRequest, invited: (StaffMember, String)?) async throws -> AdminResponse {
        let members = try await directory.members()
        let rows = members.map { member -> [HTML] in
            [AdminHTML.link("/admin/identity/staff/\(member.id.uuidString.lowercased())", member.name), "\(member.email)",
             "\(member.role.title)", member.disabledAt != nil ? AdminHTML.badge("disabled", .bad) : member.hasPassword ? AdminHTML.badge("active", .good) : AdminHTML.badge("invited", .warn),
             AdminFormat.time(member.createdAt)]
        }
        let roles = StaffRole.allCases.map { role -> HTML in "<option value=\"\(role.rawValue)\">\(role.title)</option>" }
        let shown: HTML = invited.map { member, url in
            AdminHTML.notice("Invited \(member.email). Send them this link (it works once, for 72 hours); they choose a password and set up their authenticator: \(url)", .good)
        } ?? ""
        let form = AdminHTML.startForm(request, inviteStaff, object: "new", fields: """
            <label>Email <input type="email" name="email" required></label> <label>Name <input type="text" name="name" required></label> \
            <label>Role <select name="role">\(roles)</select></label>
            """, submit: "Invite")
        let sudoHint: HTML = AdminMount.inSudo(request.staff, now: request.now) ? "" : "<p class=\"muted\">Inviting needs a fresh code: <a href=\"/admin/sudo?next=/admin/identity/staff\">confirm it is you</a> first.</p>"
        let body = shown + AdminHTML.section("Staff", AdminHTML.table(["Name", "Email", "Role", "State", "Since"], rows))
            + AdminHTML.section("Invite a member of staff", sudoHint + form)
        return .page(AdminView(title: "Staff", body: body))
    }

    static func baseURL(_ request: AdminRequest) -> String {
        if let base = request.app.config.publicBaseURL { return base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
        return "http://\(request.call.request.headers["host"] ?? "127.0.0.1")"
    }

    func staffPage(_ request: AdminRequest) async throws -> AdminResponse {
        guard let member = try await store.staff(id: try request.id()) else { throw AppError.notFound("no such member of staff") }
        let id = member.id.uuidString.lowercased()
        let fields = AdminHTML.fields([
            .init("Name", text: member.name), .init("Email", text: member.email), .init("Role", field: "role", text: member.role.title),
            .init("Password set", AdminHTML.yesNo(member.hasPassword)),
            .init("Recovery codes left", text: String(try await store.unusedRecoveryCodes(staffID: member.id))),
            .init("Locked", field: "locked", AdminFormat.time(member.disabledAt)), .init("Created", AdminFormat.time(member.createdAt)),
        ])
        let history = try await Audit.historySection(of: [("staff", id)], on: app.database)
        let body = AdminHTML.section("Account", fields) + staffForms(request, member) + history
        return .page(AdminView(title: member.name, body: body, crumbs: [("Staff", "/admin/identity/staff")]))
    }

    // MARK: Password setup (invitations)

    func setupPage(_ request: AdminRequest) async throws -> AdminResponse {
        guard let token = request.query["token"], try await store.passwordSetup(hash: AccessToken.hash(token), spend: false) != nil else {
            return .page(AdminView(title: "Link expired", body: AdminHTML.notice("This link has been used or has expired. Ask an admin for a new invitation.", .bad), status: .notFound, bare: true))
        }
        let csrf = AdminMount.cookie(AdminMount.loginCookie, in: request.call.request) ?? Digest.randomBytes(16).hexString
        let body: HTML = """
            <form class="stack card" method="post" action="/admin/setup" data-action="setup_password">\
            <input type="hidden" name="csrf" value="\(csrf)"><input type="hidden" name="token" value="\(token)">\
            <label>New password (12 characters or more) <input type="password" name="password" autocomplete="new-password" minlength="12" required autofocus></label>\
            <button type="submit">Set password</button></form>
            """
        return .page(AdminView(title: "Choose a password", body: body, headers: [AdminMount.setCookie(AdminMount.loginCookie, csrf, maxAge: 3600)], bare: true))
    }

    /// Sets the password and gives the new member their own TOTP secret and recovery codes
    /// (made now, so the admin who invited them never saw them).
    func setup(_ request: AdminRequest) async throws -> AdminResponse {
        guard let token = request.form["token"] else { throw AppError.invalid("the link is incomplete") }
        let password = request.form.pairs.first { $0.name == "password" }?.value ?? ""
        try StaffDirectory.checkPassword(password)
        let hash = try await directory.hasher.hash(password)
        let secret = TOTP.newSecret()
        let codes = StaffDirectory.newRecoveryCodes()
        let sealed = try directory.box.seal(secret)
        let member = try await app.database.withTransaction { transaction -> StaffMember in
            let store = IdentityStore(database: transaction)
            guard let staffID = try await store.passwordSetup(hash: AccessToken.hash(token), spend: true),
                  let member = try await store.staff(id: staffID) else { throw AppError.notFound("this link has been used or has expired") }
            try await store.setPassword(staffID: staffID, hash: hash)
            try await store.replaceTOTPSecret(staffID: staffID, sealed: sealed)
            try await store.replaceRecoveryCodes(staffID: staffID, hashes: codes.map(StaffDirectory.recoveryHash))
            try await AuditContext.acting(as: AuditContext(actor: "staff:\(staffID.uuidString.lowercased())", role: member.role.rawValue,
                                                           clientAddress: request.context.clientAddress, requestID: request.call.requestID)) {
                try await Audit.record("staff.password_set", AuditObject("staff", staffID), on: transaction)
            }
            return member
        }
        let uri = StaffDirectory.otpauthURI(email: member.email, secret: secret)
        let codeList = codes.map { code -> HTML in "<li><code>\(code)</code></li>" }
        let body: HTML = """
            <section class="card"><p>Add this account to your authenticator app (scan or paste the link, or type the secret):</p>\
            <p><code data-field="totp_secret">\(Base32.encode(secret))</code></p><p><a href="\(uri)">\(uri)</a></p>\
            <p>Keep these recovery codes somewhere safe. Each works once, in place of a code from your phone. They are shown only now.</p>\
            <ol>\(codeList)</ol><p><a class="button" href="/admin/login">Sign in</a></p></section>
            """
        return .page(AdminView(title: "Set up your authenticator", body: body, bare: true))
    }
}
