import Foundation
import Postgres
import TestSupport
import Testing

/// The session settings a pooled connection cannot send at start-up come from the database's
/// defaults (migration 0062); `sessionSettingsProblem` is what start-up and /health rely on.
@Suite(.tags(.database)) struct SessionSettingsTests {
    static let migration = TestServer.repositoryRoot.appendingPathComponent("migrations/0062_kernel_session_defaults.sql")

    func problem(_ configuration: PostgresConfiguration) async throws -> String? {
        let connection = try await PostgresConnection.connect(configuration)
        defer { connection.closeSoon() }
        return try await connection.queryOne(PostgresConfiguration.sessionSettingsQuery) { try PostgresConfiguration.sessionSettingsProblem($0) }
    }

    @Test func directConnectionsCarryTheirOwnSettings() async throws {
        try await TestDatabase.withScratchDatabase { (configuration: PostgresConfiguration) async throws in
            #expect(try await problem(configuration) == nil)
        }
    }

    /// Without the startup options a fresh database has no statement timeout (and may have any
    /// zone): the check names it. After migration 0062 and the runtime-role defaults it passes.
    @Test func withoutStartupOptionsTheMigrationsDefaultsAreWhatCounts() async throws {
        try await TestDatabase.withScratchDatabase { (configuration: PostgresConfiguration) async throws in
            var pooled = configuration
            pooled.pooler = .pgbouncer
            let setup = try await PostgresConnection.connect(configuration)
            defer { setup.closeSoon() }
            try await setup.executeScript("ALTER DATABASE \(pooled.databaseName) SET TimeZone = 'Europe/London'")
            let before = try #require(try await problem(pooled))
            #expect(before.contains("TimeZone is 'Europe/London', not 'UTC'"))
            #expect(before.contains("statement_timeout is 0"))

            try await setup.executeScript("CREATE SCHEMA kernel")
            try await setup.executeScript(try String(contentsOf: Self.migration, encoding: .utf8))
            let user = try await setup.queryValue("SELECT current_user::text", as: String.self)
            #expect(try await setup.queryValue("SELECT kernel.set_runtime_session_defaults(\(user))", as: Bool.self))
            #expect(try await problem(pooled) == nil)
        }
    }
}

extension PostgresConfiguration {
    /// The database a `postgresql://…/name` URL names.
    var databaseName: String { String(URLComponents(string: url)!.path.dropFirst()) }
}
