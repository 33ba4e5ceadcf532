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

    /// The pool's connections (`DATABASE_URL`, perhaps through PgBouncer); `.direct` of it is
    /// `DATABASE_DIRECT_URL`, for LISTEN.
    static func databaseConfiguration(_ config: AppConfig) -> PostgresConfiguration {
        var configuration = PostgresConfiguration(url: config.databaseURL)
        configuration.directURL = config.databaseDirectURL == config.databaseURL ? nil : config.databaseDirectURL
        configuration.pooler = PostgresConfiguration.Pooler(rawValue: config.databasePooler) ?? .none
        configuration.usesPreparedStatements = config.databasePreparedStatements
        configuration.statementTimeout = config.databaseStatementTimeout
        configuration.applicationName = "hourglass"
        return configuration
    }

    /// Serving and job workers refuse a session without the settings the wrapper relies on
    /// (UTC, ISO dates, hex bytea, ISO intervals, bounded statements and idle transactions).
    /// Direct connections set them at start-up; through PgBouncer they are the database's and
    /// the runtime role's defaults (migration 0062), which a database restored elsewhere or a
    /// role created after `migrate` may lack: then nothing would fail loudly, timestamps would
    /// just be read in the wrong zone. Checked on the pool's own URL, with one query.
    static func checkSessionSettings(_ config: AppConfig, on connection: PostgresConnection) async throws {
        let count = PostgresConfiguration.requiredSessionSettings.count
        let (problem, statementTimeoutMs) = try await connection.queryOne(PostgresConfiguration.sessionSettingsQuery) {
            (try PostgresConfiguration.sessionSettingsProblem($0), try $0.decode(Int64.self, at: count))
        }
        guard let problem else {
            // Behind PgBouncer DB_STATEMENT_TIMEOUT_MS cannot be sent; say so rather than pretend.
            if config.databasePooler != "none", statementTimeoutMs != Int64((config.databaseStatementTimeout / .milliseconds(1)).rounded()) {
                printError("hourglass: warning: through \(config.databasePooler) statements time out after \(statementTimeoutMs) ms "
                    + "(the role's default), not DB_STATEMENT_TIMEOUT_MS; change it with ALTER ROLE \(config.runtimeRole) IN DATABASE <db> SET statement_timeout")
            }
            return
        }
        printError("""
            hourglass: the database session DATABASE_URL opens is not fit to serve: \(problem). \
            Run `hourglass migrate` (migration 0062 makes these the database's and the runtime role's defaults; \
            it warns when its role may not), or set them by hand: \
            ALTER ROLE \(config.runtimeRole) IN DATABASE <db> SET TimeZone = 'UTC' (and DateStyle 'ISO, YMD', bytea_output 'hex', \
            IntervalStyle 'iso_8601', statement_timeout '15s', idle_in_transaction_session_timeout '60s').
            """)
        throw ExitCode(78)
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

    /// Applies pending migrations (as the schema owner), then grants the runtime role what it
    /// may do: rows, never schema, never rewriting history (migration 0030). In production a
    /// missing runtime role is an error: the server would have no safe role to run as.
    static func migrate(_ migrations: [Migration], on connection: PostgresConnection, runtimeRole: String,
                        environment: AppEnvironment) async throws {
        let applied = try await Migrator(migrations: migrations).migrate(on: connection) { migration, elapsed in
            print("applied \(migration.fileName) in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        }
        if applied.isEmpty { print("database is up to date (version \(migrations.last?.version ?? 0))") }
        let exists = try await connection.queryValue("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(runtimeRole))", as: Bool.self)
        let isSelf = try await connection.queryValue("SELECT current_user = \(runtimeRole)", as: Bool.self)
        if exists, !isSelf {
            _ = try await connection.query("SELECT kernel.grant_runtime_privileges(\(runtimeRole))")
            print("granted \(runtimeRole) row access (no schema changes, append-only history)")
            // Its sessions' timeouts and formats, for connections that cannot send them (PgBouncer).
            if try await connection.queryValue("SELECT kernel.set_runtime_session_defaults(\(runtimeRole))", as: Bool.self) {
                print("set \(runtimeRole)'s session defaults in this database (UTC, ISO dates, 15 s statements, 60 s idle transactions)")
            } else {
                // Not fatal: direct connections send them anyway; through PgBouncer serve refuses to start.
                printError("hourglass: warning: this role may not set \(runtimeRole)'s session defaults (that needs a superuser or CREATEROLE); "
                    + "before serving through PgBouncer run, as a superuser, ALTER ROLE \(runtimeRole) IN DATABASE <db> SET statement_timeout = '15s' "
                    + "(and idle_in_transaction_session_timeout '60s', TimeZone 'UTC', DateStyle 'ISO, YMD', bytea_output 'hex', IntervalStyle 'iso_8601')")
            }
        } else if environment == .production {
            printError(isSelf
                ? "hourglass: MIGRATION_DATABASE_URL connects as the runtime role \(runtimeRole); migrate as the schema owner"
                : "hourglass: no role \(runtimeRole) (DATABASE_RUNTIME_ROLE): create it, e.g. CREATE ROLE \(runtimeRole) LOGIN PASSWORD '…', and migrate again")
            throw ExitCode(78)
        } else {
            print("note: no role \(runtimeRole); the server runs with the owner's rights until one exists (see README)")
        }
    }

    /// What this connection's role could do to the schema that the runtime role must not, in
    /// words, or nil when it can do none of it: be a superuser, create roles (and so grant
    /// itself anything), own or be a member of the owner of the database, of a schema or of a
    /// table (membership inherits or can SET ROLE to the owner's rights), create objects in any
    /// schema, or switch triggers off through session_replication_role.
    static func schemaPowers(_ connection: PostgresConnection) async throws -> String? {
        let powers = try await connection.queryValue("""
            SELECT concat_ws(', ',
                CASE WHEN r.rolsuper THEN 'is a superuser' END,
                CASE WHEN r.rolcreaterole THEN 'may create roles' END,
                CASE WHEN pg_has_role(current_user, d.datdba, 'MEMBER') THEN 'owns the database' END,
                (SELECT 'owns schema ' || min(n.nspname) FROM pg_namespace n
                 WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND n.nspname <> 'public'
                   AND pg_has_role(current_user, n.nspowner, 'MEMBER')),
                (SELECT 'owns table ' || min(c.oid::regclass::text) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                   AND pg_has_role(current_user, c.relowner, 'MEMBER')),
                (SELECT 'may create in schema ' || min(n.nspname) FROM pg_namespace n
                 WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                   AND has_schema_privilege(current_user, n.oid, 'CREATE')),
                CASE WHEN has_parameter_privilege(current_user, 'session_replication_role', 'SET')
                     THEN 'may switch triggers off (session_replication_role)' END)
            FROM pg_roles r, pg_database d
            WHERE r.rolname = current_user AND d.datname = current_database()
            """, as: String.self)
        return powers.isEmpty ? nil : powers
    }

    /// Serving and job workers run as the runtime role: in production a role with any power
    /// over the schema is refused (fail closed); in development and test it is a warning.
    static func checkRuntimeRole(_ config: AppConfig, on connection: PostgresConnection) async throws {
        guard let powers = try await schemaPowers(connection) else { return }
        let message = "DATABASE_URL connects as a role that can change the schema (it \(powers)); "
            + "run the server as the runtime role (\(config.runtimeRole)), and only `hourglass migrate` as the owner"
        guard config.environment.isSandbox else {
            printError("hourglass: \(message)")
            throw ExitCode(78)
        }
        printError("hourglass: warning: \(message)")
    }

    /// A connection as the schema owner (for migrations).
    static func connectAsOwner(_ config: AppConfig) async throws -> PostgresConnection {
        // Direct: the migrator's advisory lock and `SET statement_timeout = 0` are session state.
        var configuration = databaseConfiguration(config).direct
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
