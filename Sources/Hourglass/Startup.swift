import AppKernel
import ArgumentParser
import Foundation
import Logging
import Migrations
import Postgres

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Directory holding defaults.env and <env>.env.")
    var configDir: String = "config"
}

/// Start-up steps shared by the subcommands: configuration, logging, migrations.
enum Startup {
    /// Reads configuration or exits with a message naming the bad key.
    static func loadConfig(_ options: CommonOptions) throws -> AppConfig {
        do {
            return try AppConfig.load(configDirectory: URL(fileURLWithPath: options.configDir),
                                      environment: ProcessInfo.processInfo.environment, sections: configSections)
        } catch {
            printError("hourglass: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
    }

    static func makeLogger(_ config: AppConfig) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
            return handler
        }
        var logger = Logger(label: "hourglass")
        logger[metadataKey: "env"] = "\(config.environment.rawValue)"
        return logger
    }

    static func loadMigrations(_ config: AppConfig) throws -> [Migration] {
        do {
            return try Migration.load(directory: URL(fileURLWithPath: config.migrationsDirectory))
        } catch {
            printError("hourglass: \(error)")
            throw ExitCode.failure
        }
    }

    static func databaseConfiguration(_ config: AppConfig) -> PostgresConfiguration {
        var configuration = PostgresConfiguration(url: config.databaseURL)
        configuration.statementTimeout = config.databaseStatementTimeout
        configuration.applicationName = "hourglass"
        return configuration
    }

    /// Opens one connection for start-up work, or exits with libpq's reason (host included).
    static func connect(_ config: AppConfig) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(databaseConfiguration(config))
        } catch {
            printError("hourglass: \(error)")
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
    }

    /// Applies pending migrations, printing each one.
    /// Applies pending migrations (as the schema owner), then grants the runtime role what it
    /// may do: rows, never schema, never rewriting history (migration 0030).
    static func migrate(_ migrations: [Migration], on connection: PostgresConnection, runtimeRole: String) async throws {
        let applied = try await Migrator(migrations: migrations).migrate(on: connection) { migration, elapsed in
            print("applied \(migration.fileName) in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        }
        if applied.isEmpty { print("database is up to date (version \(migrations.last?.version ?? 0))") }
        let exists = try await connection.queryValue("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(runtimeRole))", as: Bool.self)
        let isSelf = try await connection.queryValue("SELECT current_user = \(runtimeRole)", as: Bool.self)
        if exists, !isSelf {
            _ = try await connection.query("SELECT kernel.grant_runtime_privileges(\(runtimeRole))")
            print("granted \(runtimeRole) row access (no schema changes, append-only history)")
        } else if !exists {
            print("note: no role \(runtimeRole); the server runs with the owner's rights until one exists (see README)")
        }
    }

    /// Whether this connection's role could alter or drop what migrations made: a superuser,
    /// or the owner of the schema the migrations table lives beside (`ledger`).
    static func canChangeSchema(_ connection: PostgresConnection) async throws -> Bool {
        try await connection.queryValue("""
            SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = 'ledger' AND n.nspowner = r.oid)
            FROM pg_roles r WHERE r.rolname = current_user
            """, as: Bool.self)
    }

    /// A connection as the schema owner (for migrations).
    static func connectAsOwner(_ config: AppConfig) async throws -> PostgresConnection {
        var configuration = databaseConfiguration(config)
        configuration.url = config.migrationDatabaseURL
        do {
            return try await PostgresConnection.connect(configuration)
        } catch {
            printError("hourglass: \(error)")
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
