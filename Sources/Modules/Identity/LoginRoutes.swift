import AppKernel
import Logging
import Foundation
import HTTPServer
import Postgres

/// `POST /v1/auth/token` (log in) and `DELETE /v1/auth/token` (log out).
struct LoginRoutes: Sendable {
    let identity: Identity
    var store: IdentityStore { IdentityStore(database: identity.app.database) }

    /// Failed logins tolerated per email and per client address within the window.
    static let failureWindow: TimeInterval = 15 * 60
    static let maxFailuresPerEmail = 5

    struct Body: Decodable {
        let email: String?
        let password: String?
    }

    func login(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let body = try JSON.decode(Body.self, from: request)
        var validation = Validation()
        let email = validation.required(body.email, "email")?.trimmingCharacters(in: .whitespaces).lowercased()
        let password = validation.required(body.password, "password")
        try validation.check()
        guard let email, let password else { return HTTPResponse(status: .badRequest) }

        let address = Self.clientAddress(request)
        let failures = try await store.recentFailures(email: email, address: address,
                                                      since: context.now.addingTimeInterval(-Self.failureWindow))
        if failures.email >= Self.maxFailuresPerEmail || failures.address >= identity.app.config.loginMaxFailuresPerAddress {
            context.logger.notice("login throttled", metadata: ["net.peer": "\(address)"])
            throw AppError(status: .tooManyRequests, slug: "too-many-login-attempts",
                           detail: "too many failed logins; try again in 15 minutes",
                           headers: ["retry-after": "\(Int(Self.failureWindow))"])
        }
        guard let credentials = try await store.credentials(email: email) else {
            await identity.hasher.verifyNothing(password)
            try await store.recordFailure(email: email, address: address)
            throw AppError.unauthorized("the email or password is wrong")
        }
        guard await identity.hasher.verify(password, against: credentials.passwordHash) else {
            try await store.recordFailure(email: email, address: address)
            throw AppError.unauthorized("the email or password is wrong")
        }
        try await store.clearFailures(email: email)
        let token = try await identity.issueToken(for: credentials.userID, on: identity.app.database)
        return try .json(token)
    }

    func logout(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try await identity.authenticate(request, context)
        let token = request.headers["authorization"]!.split(separator: " ", maxSplits: 1)[1]
        try await store.revokeToken(hash: AccessToken.hash(String(token)))
        return HTTPResponse(status: .noContent)
    }

    /// The peer's IP without the port. (Behind a load balancer this is the balancer; trusting
    /// X-Forwarded-For needs a configured list of trusted proxies, which we do not have yet.)
    static func clientAddress(_ request: HTTPRequest) -> String {
        let address = request.remoteAddress
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") { return String(address[...end]) }
        return String(address.split(separator: ":").first ?? Substring(address))
    }
}
