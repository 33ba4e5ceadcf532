import AppKernel
import Foundation
import HTTPServer
import Logging
import Postgres

/// `POST /v1/auth/token` (log in) and `DELETE /v1/auth/token` (log out).
struct IdentityRoutes: Sendable {
    let identity: Identity
    var store: IdentityStore { IdentityStore(database: identity.app.database) }

    /// Failed logins are counted over this window.
    static let failureWindow: TimeInterval = 15 * 60
    /// Wrong passwords for one account from one address before that address is held off.
    static let maxFailuresPerAccountAndAddress = 5
    /// Wrong passwords for one account from everywhere before it is held off even from
    /// addresses with no failures (a credential-stuffing botnet).
    static let maxFailuresPerAccount = 500

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.post, "/v1/auth/token", id: "logIn", "Log in: a bearer token for an email and password", tag: "identity",
                     access: .anyone, body: .json(IdentitySchemas.login), bodyLimit: 16 * 1024,
                     responses: [.json(200, "A new token", IdentitySchemas.token.ref),
                                 .problem(401, "The email or password is wrong"),
                                 .problem(429, "Too many failed logins from this address (or for this account); Retry-After says when")],
                     handler: { try await routes.login($0) }),
            Endpoint(.delete, "/v1/auth/token", id: "logOut", "Log out: revoke the token this request carries", tag: "identity",
                     access: .driver, responses: [ResponseSpec(204, "Revoked", .empty)],
                     handler: { try await routes.logout($0) }),
        ]
    }

    /// Throttled per address, and per account only from addresses that already failed for it:
    /// someone guessing a driver's password never locks the driver out of their own phone.
    func login(_ call: Call) async throws -> HTTPResponse {
        let body = try call.body(LoginBody.self)
        let email = body.email.lowercased()
        let address = call.context.clientAddress
        let failures = try await store.recentFailures(email: email, address: address,
                                                      since: call.now.addingTimeInterval(-Self.failureWindow))
        let held = failures.address >= (try identity.config.loginMaxFailuresPerAddress)
            || failures.pair >= Self.maxFailuresPerAccountAndAddress
            || (failures.email >= Self.maxFailuresPerAccount && failures.pair > 0)
        if held {
            call.context.logger.notice("login throttled", metadata: ["net.peer": "\(address)"])
            throw AppError(status: .tooManyRequests, slug: "too-many-login-attempts",
                           detail: "too many failed logins; try again in 15 minutes",
                           headers: ["retry-after": "\(Int(Self.failureWindow))"])
        }
        guard let credentials = try await store.credentials(email: email) else {
            try await identity.hasher.verifyNothing(body.password)
            try await store.recordFailure(email: email, address: address)
            throw AppError.unauthorized("the email or password is wrong")
        }
        guard try await identity.hasher.verify(body.password, against: credentials.passwordHash) else {
            try await store.recordFailure(email: email, address: address)
            throw AppError.unauthorized("the email or password is wrong")
        }
        try await store.clearFailures(email: email, address: address)
        return try .json(try await identity.issueToken(for: credentials.userID, on: identity.app.database))
    }

    func logout(_ call: Call) async throws -> HTTPResponse {
        guard let token = DriverAuthenticator.bearerToken(call.request.headers["authorization"]) else {
            throw AppError.unauthorized("send Authorization: Bearer <token>")
        }
        try await store.revokeToken(hash: AccessToken.hash(token))
        return HTTPResponse(status: .noContent)
    }
}
