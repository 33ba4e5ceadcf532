public import AppKernel
public import Foundation
public import HTTPServer
public import Postgres
import Logging

/// What identity knows of an account besides its secrets.
public struct Account: Sendable, Equatable {
    public let email: String
    public let testClockID: UUID?
}

/// A freshly issued bearer token.
public struct IssuedToken: Sendable, Encodable {
    public let token: String
    public let expiresAt: Date
}

/// The identity module's public API: credentials, tokens, authentication. One account is one
/// driver, so the account id is the driver id.
public struct Identity: Sendable {
    let app: AppContext
    /// The module's settings, read when first needed (only routes that hash need them).
    var config: IdentityConfig { get throws { try app.config.section(IdentityConfig.self) } }
    var hasher: PasswordHasher { get throws { PasswordHasher(iterations: try config.passwordHashIterations) } }

    public init(app: AppContext) {
        self.app = app
    }

    /// Hashes a password (slow by design: do it before opening a transaction).
    public func hashPassword(_ password: String) async throws -> String { try await hasher.hash(password) }

    /// Creates the account inside the caller's transaction; a registered email is 409.
    public func createAccount(id: UUID, email: String, passwordHash: String, testClockID: UUID?,
                              on transaction: PostgresConnection) async throws {
        try await IdentityStore(database: transaction).createUser(id: id, email: email, passwordHash: passwordHash,
                                                                 testClockID: testClockID)
    }

    /// Issues a bearer token for `userID` (on `database`, e.g. the caller's transaction).
    public func issueToken(for userID: UUID, on database: any PostgresQueryable) async throws -> IssuedToken {
        let token = AccessToken.generate()
        // Token lifetimes are security, on real time (a test clock never keeps a token alive).
        let expiresAt = app.clock.now().addingTimeInterval(AccessToken.lifetime)
        try await IdentityStore(database: database).insertToken(hash: AccessToken.hash(token), userID: userID, expiresAt: expiresAt)
        return IssuedToken(token: token, expiresAt: expiresAt)
    }

    /// The account's email and test clock (on `database`, e.g. the caller's transaction).
    public func account(_ id: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Account? {
        try await IdentityStore(database: database ?? app.database).account(id: id)
    }

    /// The account of `id`; when that is the caller of `context`, as their token check found
    /// it a moment ago (no second lookup).
    public func account(_ id: UUID, in context: RequestContext) async throws -> Account? {
        if let caller = context.memo.value(CallerAccount.self), caller.id == id { return caller.account }
        return try await account(id)
    }

    /// The accounts of several drivers at once (lists in the admin).
    public func accounts(_ ids: [UUID], on database: (any PostgresQueryable)? = nil) async throws -> [UUID: Account] {
        try await IdentityStore(database: database ?? app.database).accounts(ids: ids)
    }

    /// The account registered with `email` (case-insensitive), if any.
    public func accountID(email: String) async throws -> UUID? {
        try await IdentityStore(database: app.database).credentials(email: email.trimmingCharacters(in: .whitespaces).lowercased())?.userID
    }

    /// "Now" for a driver outside a request of theirs (a job, a webhook, a sweep): their test
    /// clock's time in sandbox mode, otherwise the application clock. Every time a module records
    /// for a driver comes from here or from the request's `context.now`, never from the system clock.
    public func now(for driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Date {
        let database = database ?? app.database
        if app.config.environment.isSandbox, let clockID = try await IdentityStore(database: database).account(id: driverID)?.testClockID,
           let clock = try await TestClockStore(database: database).find(id: clockID) {
            return clock.frozenTime
        }
        return app.clock.now()
    }

    /// The drivers whose "now" follows a test clock (for catching up when it advances).
    public func driverIDs(onTestClock clockID: UUID) async throws -> [UUID] {
        try await IdentityStore(database: app.database).userIDs(onTestClock: clockID)
    }
}
