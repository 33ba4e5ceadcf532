import AppKernel
import Foundation
import HTTPServer
import Identity
import Postgres
import Audit
import FeatureFlags

/// `POST /v1/drivers` (sign up) and `GET /v1/me`.
struct DriversRoutes: Sendable {
    let app: AppContext
    let identity: Identity

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.post, "/v1/drivers", id: "signUp", "Sign up: the driver and a bearer token", tag: "drivers", access: .anyone,
                     body: .json(DriversSchemas.signUp), bodyLimit: 16 * 1024,
                     responses: [.json(201, "Signed up", DriversSchemas.signedUp.ref),
                                 .problem(409, "That email is already registered"),
                                 .problem(429, "Too many sign-ups from this address"),
                                 .problem(503, "Sign-ups are paused (the sign_ups_open setting), or the database is unavailable")],
                     handler: { try await routes.signUp($0) }),
            Endpoint(.get, "/v1/me", id: "getMe", "The driver's profile", tag: "drivers", access: .driver,
                     responses: [.json(200, "The driver", DriversSchemas.driver.ref)],
                     handler: { try await routes.me($0) }),
        ]
    }

    struct SignUpResponse: Encodable {
        let driver: DriverDTO
        let token: String
        let tokenExpiresAt: Date
    }

    func signUp(_ call: Call) async throws -> HTTPResponse {
        guard await FeatureFlags.shared(app: app).bool(DriversFlags.signUpsOpen) else {
            throw AppError(status: .serviceUnavailable, slug: "sign-ups-paused", detail: "sign-ups are paused for now; try again later",
                           headers: ["retry-after": "3600"])
        }
        let body = try call.body(SignUpBody.self)
        try await RateLimiter(database: app.database).hit("sign-up:\(call.context.clientAddress)", limit: try app.config.section(DriversConfig.self).signUpsPerAddressPerHour,
                                                          window: 3600, what: "sign-ups")
        var now = call.now
        if let clockID = body.testClockId {
            guard app.config.environment.isSandbox else {
                throw AppError.invalid("test clocks exist only in sandbox mode",
                                       fields: [FieldError(field: "test_clock_id", message: "is not allowed in production")])
            }
            guard let clock = try await TestClockStore(database: app.database).find(id: clockID) else {
                throw AppError.invalid("no such test clock", fields: [FieldError(field: "test_clock_id", message: "does not exist")])
            }
            now = clock.frozenTime  // the driver lives on this clock from the first moment
        }
        let signUp = try SignUp(body, today: LocalDate(utcDateOf: now))
        let passwordHash = try await identity.hashPassword(signUp.password)
        let profile = DriverProfile(
            id: UUID(), fullName: signUp.fullName, dateOfBirth: signUp.dateOfBirth, phone: signUp.phone,
            postcode: signUp.postcode, licenceNumber: signUp.licenceNumber, licenceType: signUp.licenceType,
            licenceIssuedOn: signUp.licenceIssuedOn, declaredClaims: signUp.declaredClaims, createdAt: now)
        let token = try await app.database.withTransaction { transaction in
            try await identity.createAccount(id: profile.id, email: signUp.email, passwordHash: passwordHash,
                                             testClockID: signUp.testClockID, on: transaction)
            try await DriversStore(database: transaction).insert(profile)
            // The new driver is the one acting (the request came in signed out).
            var actor = AuditContext.current
            actor.actor = "driver:\(profile.id.uuidString.lowercased())"
            try await AuditContext.acting(as: actor) {
                try await Audit.record("drivers.signed_up", AuditObject.driver(profile.id),
                                       after: try Audit.snapshot(DriverDTO(profile, email: signUp.email, testClockID: signUp.testClockID)),
                                       on: transaction)
            }
            return try await identity.issueToken(for: profile.id, on: transaction)
        }
        let driver = DriverDTO(profile, email: signUp.email, testClockID: signUp.testClockID)
        return try .json(SignUpResponse(driver: driver, token: token.token, tokenExpiresAt: token.expiresAt), status: .created)
    }

    func me(_ call: Call) async throws -> HTTPResponse {
        guard let profile = try await DriversStore(database: app.database).find(id: call.driverID),
              let account = try await identity.account(call.driverID, in: call.context)
        else { throw AppError.notFound("no driver profile for this account") }
        return try .json(DriverDTO(profile, email: account.email, testClockID: account.testClockID))
    }
}
