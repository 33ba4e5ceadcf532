@testable import AppKernel
import Foundation
import TestSupport
import Testing

/// DATABASE_POOLER, DATABASE_DIRECT_URL and DATABASE_PREPARED_STATEMENTS (README "Topology").
struct PoolerConfigTests {
    let directory = TestServer.repositoryRoot.appendingPathComponent("config")

    func load(_ environment: [String: String]) throws(ConfigError) -> AppConfig {
        try AppConfig.load(configDirectory: directory, environment: ["HOURGLASS_ENV": "production"].merging(environment) { $1 })
    }

    @Test func directByDefault() throws {
        let config = try load(["DATABASE_URL": "postgresql://app@db/hourglass"])
        #expect(config.databasePooler == "none")
        #expect(config.databaseDirectURL == "postgresql://app@db/hourglass")
        #expect(config.migrationDatabaseURL == "postgresql://app@db/hourglass")
        #expect(config.databasePreparedStatements)
    }

    /// Behind PgBouncer: no named prepared statements unless asked, and the migrator's default
    /// is the direct URL (its advisory lock is session state), never the pooler.
    @Test func pgbouncerImpliesNoPreparedStatementsAndADirectMigrator() throws {
        let config = try load(["DATABASE_URL": "postgresql://app@bouncer:6432/hourglass", "DATABASE_POOLER": "pgbouncer",
                               "DATABASE_DIRECT_URL": "postgresql://app@db:5432/hourglass"])
        #expect(!config.databasePreparedStatements)
        #expect(config.databaseDirectURL == "postgresql://app@db:5432/hourglass")
        #expect(config.migrationDatabaseURL == "postgresql://app@db:5432/hourglass")
        let asked = try load(["DATABASE_URL": "postgresql://app@bouncer/h", "DATABASE_POOLER": "pgbouncer",
                              "DATABASE_DIRECT_URL": "postgresql://app@db/h", "DATABASE_PREPARED_STATEMENTS": "on",
                              "MIGRATION_DATABASE_URL": "postgresql://owner@db/h"])
        #expect(asked.databasePreparedStatements)
        #expect(asked.migrationDatabaseURL == "postgresql://owner@db/h")
        #expect(!(try load(["DATABASE_URL": "postgresql://app@db/h", "DATABASE_PREPARED_STATEMENTS": "off"])).databasePreparedStatements)
    }

    /// Fail closed: LISTEN through a transaction pooler would be accepted and then lost.
    @Test func pgbouncerWithoutADirectURLIsRefused() {
        #expect(throws: ConfigError.self) { try load(["DATABASE_URL": "postgresql://app@bouncer/h", "DATABASE_POOLER": "pgbouncer"]) }
        #expect(throws: ConfigError.self) { try load(["DATABASE_URL": "postgresql://app@db/h", "DATABASE_POOLER": "odyssey"]) }
        #expect(throws: ConfigError.self) { try load(["DATABASE_URL": "postgresql://app@db/h", "DATABASE_PREPARED_STATEMENTS": "maybe"]) }
    }
}
