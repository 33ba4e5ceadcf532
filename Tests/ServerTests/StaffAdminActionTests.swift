import AdminUI
import AppKernel
import Foundation
@testable import Hourglass
import Identity
import Postgres
import TestSupport
import Testing

/// The admin role administers staff: a role change and an MFA reset take a second admin; a
/// lock and "sign out everywhere" take effect at once; the one-time link of an MFA reset is
/// shown to the approver once and kept nowhere.
@Suite(.tags(.database)) struct StaffAdminActionTests {
    @Test func aRoleChangeTakesASecondAdmin() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let member = try await StaffBrowser.signedIn(server, role: .support)
        let memberID = try #require(try await Self.staffID(member.email))
        #expect(try await member.get("/admin/audit").status == 403)
        let maker = try await StaffBrowser.signedIn(server, role: .admin)
        let page = try await maker.get("/admin/identity/staff/\(memberID)")
        #expect(page.text.contains("data-action=\"change_role\""))
        // The old direct form is gone: nothing changes a role without the approval.
        #expect(try await maker.post("/admin/identity/staff/\(memberID)/role", ["role": "admin", "note": "x"]).status == 404)
        let (plan, token) = try await maker.plan("change_role", ["object": memberID, "role": "finance", "reason": "other", "note": "moved to finance"])
        #expect(plan.text.contains("Make") && plan.text.contains("finance instead of support"))
        let filed = try await maker.confirm("change_role", token: try #require(token))
        let approval = try #require(filed.header("location"))
        #expect(try await maker.post(approval + "/approve", [:]).status == 403)
        #expect(try await member.get("/admin/audit").status == 403, "not yet")
        let checker = try await StaffBrowser.signedIn(server, role: .admin)
        #expect(try await checker.post(approval + "/approve", ["note": "HR ticket 42"]).status == 303)
        #expect(try await member.get("/admin/audit").status == 200, "finance may search the audit trail")
        let events = try await TestDatabase.pool.queryAll("""
            SELECT actor, reason_code, approval_id FROM audit.events WHERE action = 'staff.role_changed' AND object_id = \(memberID)
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(UUID?.self, at: 2)) }
        #expect(events.count == 1 && events.first?.1 == "other" && events.first?.2 != nil)
    }

    @Test func lockAndSignOutEverywhereEndSessionsAtOnce() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        let member = try await StaffBrowser.signedIn(server, role: .seniorOps)
        let memberID = try #require(try await Self.staffID(member.email))
        _ = try await admin.act("revoke_sessions", ["object": memberID, "reason": "other", "note": "laptop stolen"])
        let after = try await member.get("/admin/")
        #expect(after.status == 303 || after.status == 401, "signed out: \(after.status)")
        // (Signing in again works with the next code: a TOTP step is never accepted twice, so not within these 30 seconds.)
        _ = try await admin.act("lock_staff", ["object": memberID, "reason": "fraud"])
        #expect(try await member.get("/admin/").status != 200)
        let again = try await member.post("/admin/login", ["email": member.email, "password": StaffBrowser.password, "next": "/admin/"])
        #expect(again.status != 303 || again.header("location")?.hasPrefix("/admin/mfa") != true, "a locked account cannot sign in")
        // Unlocking gives access back, so a second admin approves it.
        let (filed, unlock) = try await admin.act("unlock_staff", ["object": memberID, "reason": "other", "note": "cleared by HR"])
        #expect(filed.header("location") == "/admin/approvals/\(unlock)")
        let second = try await StaffBrowser.signedIn(server, role: .admin)
        #expect(try await second.post("/admin/approvals/\(unlock)/approve", [:]).status == 303)
        #expect(try await TestDatabase.pool.queryValue("SELECT disabled_at IS NULL FROM identity.staff WHERE id = \(UUID(uuidString: memberID)!)", as: Bool.self))
        // Locking yourself is refused.
        let adminID = try #require(try await Self.staffID(admin.email))
        #expect(try await admin.plan("lock_staff", ["object": adminID, "reason": "other", "note": "oops"]).page.status == 409)
    }

    @Test func anMFAResetShowsItsLinkOnceToTheApprover() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let member = try await StaffBrowser.signedIn(server, role: .claims)
        let memberID = try #require(try await Self.staffID(member.email))
        let oldCode = try #require(try await StaffDirectory(app: server.app).currentCode(email: member.email))
        let maker = try await StaffBrowser.signedIn(server, role: .admin)
        let (filed, id) = try await maker.act("reset_mfa", ["object": memberID, "reason": "requested_by_driver", "note": "lost phone"])
        #expect(filed.header("location") == "/admin/approvals/\(id)")
        #expect(try await member.get("/admin/").status == 200, "nothing happens before approval")
        let checker = try await StaffBrowser.signedIn(server, role: .admin)
        let approved = try await checker.post("/admin/approvals/\(id)/approve", ["note": "called them back"])
        #expect(approved.status == 200)
        let link = try #require(AdminPageReader(approved).text("shown_once"))
        #expect(link.contains("/admin/setup?token="))
        let token = String(link.split(separator: "=").last ?? "")
        // Shown once: not on the page afterwards, not stored with the request, not in the audit trail.
        #expect(!(try await checker.get("/admin/approvals/\(id)")).text.contains(token))
        let stored = try await TestDatabase.pool.queryValue("SELECT row_to_json(r)::text FROM admin.action_requests r WHERE id = \(UUID(uuidString: id)!)", as: String.self)
        #expect(!stored.contains(token))
        let audited = try await TestDatabase.pool.queryValue("SELECT coalesce(string_agg(after::text, ' '), '') FROM audit.events WHERE object_id = \(memberID)", as: String.self)
        #expect(!audited.contains(token))
        // They are signed out, their old code is worthless, and the link enrols them again.
        #expect(try await member.get("/admin/").status != 200)
        let fresh = StaffBrowser(server: server, email: member.email)
        _ = try await fresh.get("/admin/login")
        let login = try await fresh.post("/admin/login", ["email": member.email, "password": StaffBrowser.password, "next": "/admin/"])
        if login.header("location")?.hasPrefix("/admin/mfa") == true {
            _ = try await fresh.get("/admin/mfa")
            #expect(try await fresh.post("/admin/mfa", ["code": oldCode, "next": "/admin/"]).status != 303, "the old authenticator no longer works")
        }
        let setup = StaffBrowser(server: server, email: member.email)
        #expect(try await setup.get("/admin/setup?token=\(token)").status == 200)
        let done = try await setup.post("/admin/setup", ["token": token, "password": "another long passphrase"])
        #expect(done.status == 200 && done.text.contains("data-field=\"totp_secret\""))
    }

    /// A new account is a role grant: one admin cannot make accounts (and so a second person)
    /// alone; the setup link goes to the approver, once.
    @Test func anInvitationTakesASecondAdminAndTheLinkGoesToTheApprover() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let maker = try await StaffBrowser.signedIn(server, role: .admin)
        let email = "new-\(UUID().uuidString.prefix(8).lowercased())@ops.example"
        #expect([404, 405].contains(try await maker.post("/admin/identity/staff", ["email": email, "role": "finance", "name": "X"]).status),
                "no one-person invite")
        let (filed, id) = try await maker.act("invite_staff", ["object": "new", "email": email, "name": "Nia New", "role": "finance",
                                                              "reason": "other", "note": "joins finance"])
        #expect(filed.header("location") == "/admin/approvals/\(id)")
        #expect(try await Self.staffID(email) == nil, "no account before approval")
        #expect(try await maker.post("/admin/approvals/\(id)/approve", [:]).status == 403)
        let checker = try await StaffBrowser.signedIn(server, role: .admin)
        let approved = try await checker.post("/admin/approvals/\(id)/approve", [:])
        #expect(approved.status == 200)
        let link = try #require(AdminPageReader(approved).text("shown_once"))
        #expect(link.contains("/admin/setup?token="))
        #expect(try await Self.staffID(email) != nil)
        #expect(!(try await maker.get("/admin/approvals/\(id)")).text.contains(String(link.split(separator: "=").last ?? "")))
        // Asking for an account that exists is refused at once.
        #expect(try await maker.plan("invite_staff", ["object": "new", "email": email, "role": "support", "reason": "other", "note": "x"]).page.status == 409)
    }

    /// Nobody approves a change to their own account.
    @Test func aCheckerCannotApproveTheirOwnPromotion() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let maker = try await StaffBrowser.signedIn(server, role: .admin)
        let subject = try await StaffBrowser.signedIn(server, role: .admin)
        let subjectID = try #require(try await Self.staffID(subject.email))
        let (_, id) = try await maker.act("change_role", ["object": subjectID, "role": "finance", "reason": "other", "note": "x"])
        #expect(try await subject.post("/admin/approvals/\(id)/approve", [:]).status == 403)
    }

    static func staffID(_ email: String) async throws -> String? {
        try await TestDatabase.pool.queryOptional("SELECT id FROM identity.staff WHERE email = \(email)") { try $0.decode(UUID.self, at: 0) }?
            .uuidString.lowercased()
    }
}
