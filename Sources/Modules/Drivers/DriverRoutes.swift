import AppKernel
import Foundation
import HTTPServer
import Identity
import Postgres

/// `POST /v1/drivers` (sign up) and `GET /v1/me`.
struct DriverRoutes: Sendable {
    let app: AppContext
    let identity: Identity

    struct SignUpResponse: Encodable {
        let driver: DriverDTO
        let token: String
        let tokenExpiresAt: Date
    }

    func signUp(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let body = try JSON.decode(SignUpBody.self, from: request)
        var now = context.now
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
        let passwordHash = await identity.hashPassword(signUp.password)
        let profile = DriverProfile(
            id: UUID(), fullName: signUp.fullName, dateOfBirth: signUp.dateOfBirth, phone: signUp.phone,
            postcode: signUp.postcode, licenceNumber: signUp.licenceNumber, licenceType: signUp.licenceType,
            licenceIssuedOn: signUp.licenceIssuedOn, declaredClaims: signUp.declaredClaims, createdAt: now)
        let token = try await app.database.withTransaction { transaction in
            try await identity.createAccount(id: profile.id, email: signUp.email, passwordHash: passwordHash,
                                             testClockID: signUp.testClockID, on: transaction)
            try await DriverStore(database: transaction).insert(profile)
            return try await identity.issueToken(for: profile.id, on: transaction)
        }
        let driver = DriverDTO(profile, email: signUp.email, testClockID: signUp.testClockID)
        return try .json(SignUpResponse(driver: driver, token: token.token, tokenExpiresAt: token.expiresAt), status: .created)
    }

    func me(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        guard let profile = try await DriverStore(database: app.database).find(id: caller.driverID),
              let account = try await identity.account(caller.driverID)
        else { throw AppError.notFound("no driver profile for this account") }
        return try .json(DriverDTO(profile, email: account.email, testClockID: account.testClockID))
    }
}
