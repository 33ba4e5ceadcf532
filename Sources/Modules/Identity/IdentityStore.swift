import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `identity` schema.
struct IdentityStore: Sendable {
    let database: any PostgresQueryable

    struct Credentials {
        let userID: UUID
        let passwordHash: String
    }

    struct TokenOwner {
        let userID: UUID
        let email: String
        let testClockID: UUID?
    }

    /// Inserts a user; a registered email is `AppError` 409.
    func createUser(id: UUID, email: String, passwordHash: String, testClockID: UUID?) async throws {
        do {
            try await database.execute("""
                INSERT INTO identity.users (id, email, password_hash, test_clock_id)
                VALUES (\(id), \(email), \(passwordHash), \(testClockID))
                """)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw AppError.conflict("an account with this email already exists")
        }
    }

    func credentials(email: String) async throws -> Credentials? {
        try await database.queryOptional("SELECT id, password_hash FROM identity.users WHERE email = \(email)") {
            Credentials(userID: try $0.decode(UUID.self, at: 0), passwordHash: try $0.decode(String.self, at: 1))
        }
    }

    func insertToken(hash: Data, userID: UUID, expiresAt: Date) async throws {
        try await database.execute("""
            INSERT INTO identity.tokens (token_hash, user_id, expires_at) VALUES (\(hash), \(userID), \(expiresAt))
            """)
    }

    /// The owner of a live token: not revoked and not expired. Expiry is security, so it follows
    /// the real clock (the database's), never a sandbox test clock.
    func owner(ofTokenHash hash: Data) async throws -> TokenOwner? {
        try await database.queryOptional("""
            SELECT u.id, u.email, u.test_clock_id FROM identity.tokens t JOIN identity.users u ON u.id = t.user_id
            WHERE t.token_hash = \(hash) AND t.revoked_at IS NULL AND t.expires_at > now()
            """) {
                TokenOwner(userID: try $0.decode(UUID.self, at: 0), email: try $0.decode(String.self, at: 1),
                           testClockID: try $0.decode(UUID?.self, at: 2))
            }
    }

    func revokeToken(hash: Data) async throws {
        try await database.execute("UPDATE identity.tokens SET revoked_at = now() WHERE token_hash = \(hash) AND revoked_at IS NULL")
    }

    /// Failed logins in the window: for this email (anywhere), from this address (any email),
    /// and for this email from this address.
    func recentFailures(email: String, address: String, since: Date) async throws -> (email: Int, address: Int, pair: Int) {
        try await database.queryOne("""
            SELECT count(*) FILTER (WHERE email = \(email)), count(*) FILTER (WHERE address = \(address)),
                   count(*) FILTER (WHERE email = \(email) AND address = \(address))
            FROM identity.login_failures WHERE at > \(since) AND (email = \(email) OR address = \(address))
            """) { (try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(Int.self, at: 2)) }
    }

    func recordFailure(email: String, address: String) async throws {
        try await database.execute("INSERT INTO identity.login_failures (email, address) VALUES (\(email), \(address))")
    }

    /// After a successful login: that address's failures for the account are forgotten.
    func clearFailures(email: String, address: String) async throws {
        try await database.execute("DELETE FROM identity.login_failures WHERE email = \(email) AND address = \(address)")
    }

    func account(id: UUID) async throws -> Account? {
        try await database.queryOptional("SELECT email, test_clock_id FROM identity.users WHERE id = \(id)") {
            Account(email: try $0.decode(String.self, at: 0), testClockID: try $0.decode(UUID?.self, at: 1))
        }
    }

    func accounts(ids: [UUID]) async throws -> [UUID: Account] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.queryAll("SELECT id, email, test_clock_id FROM identity.users WHERE id = ANY(\(ids))") {
            (try $0.decode(UUID.self, at: 0), Account(email: try $0.decode(String.self, at: 1), testClockID: try $0.decode(UUID?.self, at: 2)))
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    func userIDs(onTestClock clockID: UUID) async throws -> [UUID] {
        try await database.queryAll("SELECT id FROM identity.users WHERE test_clock_id = \(clockID)") { try $0.decode(UUID.self, at: 0) }
    }
}
