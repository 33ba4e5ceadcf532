import AdminUI
public import AppKernel
import Foundation
import Cryptography
import Logging
public import HTTPServer

/// `Access.staff`: the `__Host-hg_admin` cookie to a live session (not ended, not idle for 30
/// minutes, not older than 12 hours) of an enabled account, or 401 (the admin shows the login
/// page). A driver's bearer token is never looked at.
public struct StaffAuthenticator: Authenticator {
    let directory: StaffDirectory

    public init(directory: StaffDirectory) { self.directory = directory }

    public func authenticate(_ request: HTTPRequest, _ context: RequestContext) async throws -> RequestContext {
        guard let cookie = AdminMount.cookie(StaffDirectory.cookieName, in: request), cookie.hasPrefix("hgs_") else {
            throw AppError.unauthorized("sign in")
        }
        let now = directory.app.clock.now()
        let hash = StaffDirectory.sessionHash(cookie)
        let store = IdentityStore(database: directory.app.database)
        guard let session = try await store.liveSession(idHash: hash, idleSince: now.addingTimeInterval(-StaffDirectory.idleTimeout),
                                                        createdSince: now.addingTimeInterval(-StaffDirectory.absoluteTimeout))
        else { throw AppError.unauthorized("the session has ended; sign in again") }
        // Idle time counts from the last request; written at most every 30 s.
        if now.timeIntervalSince(session.lastSeenAt) > 30 { try await store.touchSession(idHash: hash, at: now) }
        var context = context
        context.caller = .staff(StaffCaller(
            id: session.member.id, email: session.member.email, name: session.member.name, role: session.member.role.rawValue,
            permissions: Set(session.member.role.permissions.map(\.rawValue)), sessionID: hash.prefix(16).hexString,
            csrfToken: session.csrfToken, verifiedAt: session.verifiedAt, sudoAt: session.sudoAt))
        context.logger[metadataKey: "staff.id"] = "\(session.member.id.uuidString.lowercased())"
        return context
    }
}
