public import AdminUI
import AppKernel
import Audit
import Cryptography
import Foundation
import HTTPServer

/// Staff administration (OPS.md: the admin role): role changes and MFA resets need a second
/// admin's approval; locking an account and ending its sessions do not (they only take access
/// away). All need a fresh TOTP code.
extension IdentityAdmin {
    public var actions: [AdminAction] { [inviteStaff, changeRole, lockStaff, unlockStaff, resetMFA, revokeSessions] }

    /// Giving access back is a grant like any other: a second admin approves.
    var unlockStaff: AdminAction {
        AdminAction("unlock_staff", title: "Unlock an account", permission: .staff, needsSudo: true, plan: { request in
            let member = try await member(request)
            guard member.disabledAt != nil else { throw AppError.conflict("\(member.name)'s account is not locked") }
            return AdminActionPlan(
                objectType: "staff", objectID: member.id.uuidString.lowercased(),
                effect: "Unlock \(member.name)'s account (\(member.email)): they may sign in again as \(member.role.title) with their password and code.",
                parameters: .object(["staff_id": .string(member.id.uuidString.lowercased())]),
                fourEyes: "restoring access", returnPath: Self.staffPath(member.id))
        }, execute: { execution in
            let id = try execution.uuid("staff_id")
            let store = IdentityStore(database: execution.transaction)
            try await store.setDisabled(staffID: id, at: nil)
            try await Audit.record("staff.enabled", AuditObject("staff", id), before: .object(["locked": .bool(true)]),
                                   after: .object(["locked": .bool(false)]), on: execution.transaction)
            return AdminActionOutcome("Unlocked; they may sign in again.", path: Self.staffPath(id))
        })
    }

    /// A new account is a role grant: another admin approves, and the one-time setup link goes
    /// to whoever approved it (shown once), never to the person who asked alone.
    var inviteStaff: AdminAction {
        AdminAction("invite_staff", title: "Invite a member of staff", permission: .staff, needsSudo: true, plan: { request in
            guard let email = request.form["email"]?.lowercased(), email.contains("@"), (3...254).contains(email.count) else {
                throw AppError.invalid("an email address is needed")
            }
            guard let role = request.form["role"].flatMap(StaffRole.init(rawValue:)) else { throw AppError.invalid("choose a role") }
            let name = request.form["name"] ?? String(email.split(separator: "@")[0])
            guard name.count <= 100 else { throw AppError.invalid("the name is longer than 100 characters") }
            guard try await store.staffSecrets(email: email) == nil else { throw AppError.conflict("\(email) has a staff account already") }
            return AdminActionPlan(
                objectType: "staff_invitation", objectID: email,
                effect: "Create a \(role.title) account for \(name) (\(email)); whoever approves it gets the one-time link (72 hours) to send them.",
                facts: [("May", role.permissions.map(\.rawValue).sorted().joined(separator: ", "))],
                parameters: .object(["email": .string(email), "name": .string(name), "role": .string(role.rawValue)]),
                fourEyes: "a role grant (a new account)", returnPath: "/admin/identity/staff")
        }, execute: { execution in
            guard let role = StaffRole(rawValue: try execution.string("role")) else { throw AppError.invalid("no such role") }
            let base = execution.app.config.publicBaseURL?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""
            let enrolment = try await directory.create(email: try execution.string("email"), name: try execution.string("name"), role: role,
                                                       password: nil, baseURL: base, on: execution.transaction)
            return AdminActionOutcome("Invited \(enrolment.member.email) as \(role.title); send them the one-time link.",
                                      path: Self.staffPath(enrolment.member.id), shownOnce: enrolment.passwordSetupURL)
        })
    }

    static func staffPath(_ id: UUID) -> String { "/admin/identity/staff/\(id.uuidString.lowercased())" }

    func member(_ request: AdminActionRequest) async throws -> StaffMember {
        guard let member = try await store.staff(id: try request.objectID()) else { throw AppError.notFound("no such member of staff") }
        return member
    }

    var changeRole: AdminAction {
        AdminAction("change_role", title: "Change a role", permission: .staff, needsSudo: true, plan: { request in
            let member = try await member(request)
            guard let role = request.form["role"].flatMap(StaffRole.init(rawValue:)) else { throw AppError.invalid("choose a role") }
            guard role != member.role else { throw AppError.conflict("\(member.name) is \(role.title) already") }
            let gained = role.permissions.subtracting(member.role.permissions).map(\.rawValue).sorted()
            let lost = member.role.permissions.subtracting(role.permissions).map(\.rawValue).sorted()
            return AdminActionPlan(
                objectType: "staff", objectID: member.id.uuidString.lowercased(),
                effect: "Make \(member.name) (\(member.email)) \(role.title) instead of \(member.role.title).",
                facts: [("Gains", gained.isEmpty ? "nothing" : gained.joined(separator: ", ")), ("Loses", lost.isEmpty ? "nothing" : lost.joined(separator: ", "))],
                parameters: .object(["staff_id": .string(member.id.uuidString.lowercased()), "role": .string(role.rawValue)]),
                fourEyes: "a role grant", returnPath: Self.staffPath(member.id))
        }, execute: { execution in
            let id = try execution.uuid("staff_id")
            guard let role = StaffRole(rawValue: try execution.string("role")) else { throw AppError.invalid("no such role") }
            let store = IdentityStore(database: execution.transaction)
            guard let before = try await store.staff(id: id) else { throw AppError.notFound("no such member of staff") }
            try await store.setRole(staffID: id, role: role)
            try await Audit.record("staff.role_changed", AuditObject("staff", id), before: .object(["role": .string(before.role.rawValue)]),
                                   after: .object(["role": .string(role.rawValue)]), on: execution.transaction)
            return AdminActionOutcome("\(before.name) is now \(role.title); it applies from their next page.", path: Self.staffPath(id))
        })
    }

    var lockStaff: AdminAction {
        AdminAction("lock_staff", title: "Lock an account", permission: .staff, needsSudo: true, plan: { request in
            let member = try await member(request)
            guard member.id != request.staff.id else { throw AppError.conflict("you cannot lock your own account") }
            guard member.disabledAt == nil else { throw AppError.conflict("\(member.name)'s account is locked already") }
            return AdminActionPlan(
                objectType: "staff", objectID: member.id.uuidString.lowercased(),
                effect: "Lock \(member.name)'s account (\(member.email)): they are signed out everywhere and cannot sign in.",
                parameters: .object(["staff_id": .string(member.id.uuidString.lowercased())]), returnPath: Self.staffPath(member.id))
        }, execute: { execution in
            let id = try execution.uuid("staff_id")
            let store = IdentityStore(database: execution.transaction)
            try await store.setDisabled(staffID: id, at: execution.now)
            try await store.endAllSessions(staffID: id, at: execution.now, reason: "revoked")
            try await Audit.record("staff.disabled", AuditObject("staff", id), before: .object(["locked": .bool(false)]),
                                   after: .object(["locked": .bool(true)]), on: execution.transaction)
            return AdminActionOutcome("Locked; every session of theirs has ended.", path: Self.staffPath(id))
        })
    }

    /// A lost phone: their authenticator secret and recovery codes stop working now, and a
    /// one-time link (72 hours) lets them choose a password and enrol a new authenticator.
    var resetMFA: AdminAction {
        AdminAction("reset_mfa", title: "Reset two-factor sign-in", permission: .staff, needsSudo: true, plan: { request in
            let member = try await member(request)
            guard member.disabledAt == nil else { throw AppError.conflict("\(member.name)'s account is locked") }
            return AdminActionPlan(
                objectType: "staff", objectID: member.id.uuidString.lowercased(),
                effect: "Reset \(member.name)'s two-factor sign-in: their authenticator and recovery codes stop working, they are signed out, "
                    + "and the person who approves gets a one-time link (72 hours) to give them for a new password and authenticator.",
                parameters: .object(["staff_id": .string(member.id.uuidString.lowercased())]),
                fourEyes: "an MFA reset", returnPath: Self.staffPath(member.id))
        }, execute: { execution in
            let id = try execution.uuid("staff_id")
            let store = IdentityStore(database: execution.transaction)
            guard let member = try await store.staff(id: id) else { throw AppError.notFound("no such member of staff") }
            // A secret nobody knows until the link is used: the old one stops at once.
            try await store.replaceTOTPSecret(staffID: id, sealed: try directory.box.seal(TOTP.newSecret()))
            try await store.replaceRecoveryCodes(staffID: id, hashes: [])
            try await store.endAllSessions(staffID: id, at: execution.now, reason: "revoked")
            let token = AccessToken.generate()
            try await store.insertPasswordSetup(hash: AccessToken.hash(token), staffID: id,
                                                expiresAt: execution.now.addingTimeInterval(StaffDirectory.setupLifetime))
            try await Audit.record("staff.mfa_reset", AuditObject("staff", id), before: .object(["authenticator": .string("enrolled")]),
                                   after: .object(["authenticator": .string("reset, awaiting the setup link"), "setup_link_expires_at":
                .string(RFC3339.format(execution.now.addingTimeInterval(StaffDirectory.setupLifetime)))]), on: execution.transaction)
            let base = execution.app.config.publicBaseURL?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""
            return AdminActionOutcome("Two-factor sign-in reset for \(member.name); give them the one-time link.", path: Self.staffPath(id),
                                      shownOnce: "\(base)/admin/setup?token=\(token)")
        })
    }

    var revokeSessions: AdminAction {
        AdminAction("revoke_sessions", title: "Sign out everywhere", permission: .staff, needsSudo: true, plan: { request in
            let member = try await member(request)
            return AdminActionPlan(
                objectType: "staff", objectID: member.id.uuidString.lowercased(),
                effect: "End every session of \(member.name) (\(member.email)); they sign in again with their password and code.",
                parameters: .object(["staff_id": .string(member.id.uuidString.lowercased())]), returnPath: Self.staffPath(member.id))
        }, execute: { execution in
            let id = try execution.uuid("staff_id")
            let store = IdentityStore(database: execution.transaction)
            let live = try await store.liveSessionCount(staffID: id, at: execution.now)
            try await store.endAllSessions(staffID: id, at: execution.now, reason: "revoked")
            try await Audit.record("staff.sessions_revoked", AuditObject("staff", id), before: .object(["live_sessions": .integer(Int64(live))]),
                                   after: .object(["live_sessions": .integer(0)]), on: execution.transaction)
            return AdminActionOutcome("Every session ended.", path: Self.staffPath(id))
        })
    }

    /// The forms on a member's page.
    func staffForms(_ request: AdminRequest, _ member: StaffMember) -> HTML {
        let id = member.id.uuidString.lowercased()
        let roles = HTML(stringLiteral: StaffRole.allCases.filter { $0 != member.role }.map { "<option value=\"\($0.rawValue)\">\($0.title)</option>" }.joined())
        var forms = AdminHTML.startForm(request, changeRole, object: id, fields: "<label>New role <select name=\"role\">\(roles)</select></label>")
        if member.disabledAt != nil { forms += AdminHTML.startForm(request, unlockStaff, object: id) }
        if member.disabledAt == nil {
            forms += AdminHTML.startForm(request, resetMFA, object: id)
            forms += AdminHTML.startForm(request, revokeSessions, object: id)
            if member.id != request.staff.id { forms += AdminHTML.startForm(request, lockStaff, object: id, danger: true) }
        }
        let sudo: HTML = AdminMount.inSudo(request.staff, now: request.now) ? ""
            : "<p class=\"muted\">These need a fresh code: <a href=\"/admin/sudo?next=\(Self.staffPath(member.id))\">confirm it is you</a> first.</p>"
        return AdminHTML.section("Change", sudo + "<div class=\"actions\">\(forms)</div>")
    }
}
