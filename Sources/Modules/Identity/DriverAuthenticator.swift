public import AppKernel
import Foundation
public import HTTPServer
import Logging

/// `Access.driver`: resolves `Authorization: Bearer hg_…` to the driver, with their "now" (their
/// test clock's time in sandbox mode), or 401.
public struct DriverAuthenticator: Authenticator {
    let identity: Identity

    public init(identity: Identity) { self.identity = identity }

    public func authenticate(_ request: HTTPRequest, _ context: RequestContext) async throws -> RequestContext {
        guard let header = request.headers["authorization"] else {
            throw AppError.unauthorized("send Authorization: Bearer <token>")
        }
        guard let token = Self.bearerToken(header) else {
            throw AppError.unauthorized("the bearer token is missing or malformed")
        }
        guard let owner = try await IdentityStore(database: identity.app.database).owner(ofTokenHash: AccessToken.hash(token)) else {
            throw AppError.unauthorized("the token is invalid, expired or revoked")
        }
        var context = context
        context.caller = .driver(owner.userID)
        context.memo.set(CallerAccount(id: owner.userID, account: Account(email: owner.email, testClockID: owner.testClockID)))
        context.logger[metadataKey: "driver.id"] = "\(owner.userID.uuidString.lowercased())"
        if owner.testClockID != nil { context.now = try await identity.now(for: owner.userID) }
        return context
    }

    public func looksPresent(in head: HTTPRequestHead) -> Bool {
        Self.bearerToken(head.headers["authorization"]) != nil
    }

    /// The token of a well-formed `Bearer hg_…` header.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].hasPrefix("hg_"), parts[1].utf8.count <= 128 else { return nil }
        return String(parts[1])
    }
}

/// The signed-in driver's account, as the token check found it (`RequestMemo`).
struct CallerAccount: Sendable {
    let id: UUID
    let account: Account
}
