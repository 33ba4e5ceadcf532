import Foundation
public import Postgres

/// The real PostgreSQL that `scripts/test` starts. A missing `TEST_DATABASE_URL` is a failure,
/// not a skip (STYLE.md C13).
public enum TestDatabase {
    public static var url: String {
        guard let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty else {
            preconditionFailure("TEST_DATABASE_URL is not set: run the tests through scripts/test")
        }
        return url
    }

    /// The schema owner's URL for the test database (schema work in tests: tables of their own).
    public static var ownerURL: String {
        ProcessInfo.processInfo.environment["TEST_OWNER_DATABASE_URL"] ?? url
    }

    /// A pool as the schema owner, for tests that create tables.
    public static let ownerPool = PostgresPool(configuration: PostgresConfiguration(url: ownerURL),
                                               options: .init(maxConnections: 4, acquireTimeout: .seconds(30)))

    /// Lets the runtime role (the one tests run as) use a table the owner just made.
    public static func grantRows(on table: String) async throws {
        guard ownerURL != url else { return }
        let runtime = URLComponents(string: url)?.user ?? "hourglass_app"
        try await ownerPool.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON \(unsafeRaw: table) TO \(unsafeRaw: runtime)")
    }

    /// URL of the maintenance database, for creating scratch databases.
    public static var adminURL: String {
        ProcessInfo.processInfo.environment["TEST_ADMIN_DATABASE_URL"]
            ?? url.replacingOccurrences(of: "/hourglass_test", with: "/postgres")
    }

    public static var configuration: PostgresConfiguration {
        var configuration = PostgresConfiguration(url: url)
        configuration.applicationName = "hourglass-tests"
        return configuration
    }

    /// One pool for the whole test process. Swift Testing starts every test at once: about 300
    /// tasks wait for its 40 connections in the run's first seconds, sometimes longer than a
    /// production pool's 5 s; tests of the timeout itself use pools of their own.
    public static let pool = PostgresPool(configuration: configuration,
                                          options: .init(maxConnections: 40, acquireTimeout: .seconds(30)))

    private struct Rollback: Error {}

    /// Runs `body` inside a transaction that is always rolled back, so tests can run in
    /// parallel without seeing each other's rows.
    public static func withRollback<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            var result: T?
            do {
                try await connection.withTransaction(isolation: nil) { transaction in
                    result = try await body(transaction)
                    throw Rollback()
                }
            } catch is Rollback {}
            return result!
        }
    }

    /// Creates an empty database for tests that need a schema of their own (migrations) and
    /// drops it after `body`.
    public static func withScratchDatabase<T>(_ body: (PostgresConfiguration) async throws -> T) async throws -> T {
        let name = "scratch_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try await PostgresConnection.connect(PostgresConfiguration(url: adminURL))
        try await admin.executeScript("CREATE DATABASE \(name)")
        var configuration = PostgresConfiguration(url: adminURL.replacingOccurrences(of: "/postgres", with: "/\(name)"))
        configuration.applicationName = "hourglass-tests"
        do {
            let result = try await body(configuration)
            try await admin.executeScript("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            return result
        } catch {
            _ = try? await admin.executeScript("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            throw error
        }
    }
}
