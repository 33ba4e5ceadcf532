public import Foundation

/// The deployment environment; development and test are "sandbox mode" (PRODUCT.md).
public enum AppEnvironment: String, Sendable, CaseIterable {
    case development, test, production
    public var isSandbox: Bool { self != .production }
}

/// Every setting, read once at start-up into typed values (STYLE.md C14). Layers, later wins:
/// `config/defaults.env`, `config/<HOURGLASS_ENV>.env`, then the process environment.
/// Only keys listed in `AppConfig.knownKeys` may appear in the files, so typos fail loudly.
public struct AppConfig: Sendable {
    public var environment: AppEnvironment
    public var databaseURL: String
    /// The schema owner's connection, for `hourglass migrate` (the server itself runs as a
    /// role that cannot change the schema); defaults to `databaseDirectURL`, since the
    /// migrator's advisory lock needs a session of its own.
    public var migrationDatabaseURL: String
    /// A connection straight to PostgreSQL, for what needs a session of its own (LISTEN/NOTIFY);
    /// defaults to `databaseURL`, and is required when that goes through a transaction pooler.
    public var databaseDirectURL: String
    /// What `databaseURL` goes through: `none`, or `pgbouncer` (transaction mode).
    public var databasePooler: String
    /// Whether connections keep named prepared statements (off behind PgBouncer unless asked).
    public var databasePreparedStatements: Bool
    /// The role the server runs as; `hourglass migrate` grants it row access and nothing more.
    public var runtimeRole: String
    public var host: String
    public var port: UInt16
    public var logLevel: String
    public var databasePoolSize: Int
    public var databaseAcquireTimeout: Duration
    public var databaseStatementTimeout: Duration
    public var healthDatabaseTimeout: Duration
    public var httpEventLoops: Int?
    public var httpHeadTimeout: Duration
    public var httpBodyIdleTimeout: Duration
    public var httpIdleTimeout: Duration
    public var httpHandlerTimeout: Duration
    public var httpWriteTimeout: Duration
    public var httpMaxConnections: Int
    public var httpMaxBodyBytes: Int
    public var shutdownGracePeriod: Duration
    public var migrationsDirectory: String
    /// Run job workers inside `hourglass serve` (development); otherwise run `hourglass worker`.
    public var jobsInProcess: Bool
    /// Every merged value, for the sections modules declare (`section(_:)`).
    public let values: ConfigValues
    /// Load balancers whose `X-Forwarded-For` is believed (IPs and IPv4 CIDR blocks).
    public var trustedProxies: [String]
    /// How clients reach this server (`https://api.example`), for links we hand out; nil means
    /// `http://127.0.0.1:<port>`.
    public var publicBaseURL: String?

    /// Keys that may appear in config files, with what each means (the README lists them too).
    public static let knownKeys: [String: String] = [
        "HOURGLASS_ENV": "development, test or production; selects config/<env>.env",
        "DATABASE_URL": "libpq connection URI the server runs with (the runtime role)",
        "MIGRATION_DATABASE_URL": "libpq connection URI of the schema owner, for hourglass migrate; must be direct (default DATABASE_DIRECT_URL)",
        "DATABASE_DIRECT_URL": "libpq URI straight to PostgreSQL, for LISTEN/NOTIFY (default DATABASE_URL; required with DATABASE_POOLER=pgbouncer)",
        "DATABASE_POOLER": "none, or pgbouncer when DATABASE_URL goes through PgBouncer in transaction mode",
        "DATABASE_PREPARED_STATEMENTS": "on or off: keep named prepared statements per connection (default on; off with DATABASE_POOLER=pgbouncer)",
        "DATABASE_RUNTIME_ROLE": "the role the server runs as; migrate grants it rows, not schema (default hourglass_app)",
        "HOST": "address to listen on",
        "PORT": "TCP port to listen on",
        "LOG_LEVEL": "trace, debug, info, notice, warning, error or critical",
        "DB_POOL_SIZE": "maximum PostgreSQL connections",
        "DB_ACQUIRE_TIMEOUT_MS": "longest wait for a pooled connection",
        "DB_STATEMENT_TIMEOUT_MS": "server-side statement_timeout per connection",
        "HEALTH_DB_TIMEOUT_MS": "deadline of the /health database check",
        "HTTP_EVENT_LOOPS": "I/O threads; 0 means one per core",
        "HTTP_HEAD_TIMEOUT_MS": "time allowed for a request head",
        "HTTP_BODY_IDLE_TIMEOUT_MS": "longest silence while a body arrives",
        "HTTP_IDLE_TIMEOUT_MS": "keep-alive idle time",
        "HTTP_HANDLER_TIMEOUT_MS": "longest handler run before 503",
        "HTTP_WRITE_TIMEOUT_MS": "longest wait for a client to read",
        "HTTP_MAX_CONNECTIONS": "open connections before new ones get 503",
        "HTTP_MAX_BODY_BYTES": "largest request body",
        "SHUTDOWN_GRACE_MS": "how long SIGTERM waits for in-flight requests",
        "MIGRATIONS_DIR": "directory of NNNN_<module>_<what>.sql files",
        "JOBS_IN_PROCESS": "true to run job workers inside hourglass serve",
        "PUBLIC_BASE_URL": "how clients reach this server, for links it hands out (e.g. http://192.168.1.20:8080)",
        "TRUSTED_PROXIES": "comma-separated load balancer addresses (IPs, IPv4 CIDR) whose X-Forwarded-For is believed",
    ]

    /// Loads the layers from `configDirectory` for the environment named in `environment`. A
    /// process without `HOURGLASS_ENV` runs as production (it fails closed: no test clocks, no
    /// sandbox card processor). With `sections` (the modules' declared settings), a file key
    /// neither the platform nor any section knows is refused as a typo.
    public static func load(configDirectory: URL, environment processEnvironment: [String: String],
                            sections: [any ConfigSection.Type]? = nil) throws(ConfigError) -> AppConfig {
        let defaults = try EnvFile.load(configDirectory.appendingPathComponent("defaults.env"), required: true)
        let envName = processEnvironment["HOURGLASS_ENV"] ?? "production"
        guard let environment = AppEnvironment(rawValue: envName) else {
            throw .invalid(key: "HOURGLASS_ENV", value: envName, expected: "development, test or production")
        }
        let overrides = try EnvFile.load(configDirectory.appendingPathComponent("\(envName).env"), required: false)
        if let sections {
            try checkKeys(defaults, source: "defaults.env", sections: sections)
            try checkKeys(overrides, source: "\(envName).env", sections: sections)
        }
        let merged = defaults.merging(overrides) { $1 }.merging(processEnvironment) { $1 }
        return try AppConfig(values: merged, environment: environment)
    }

    private static func checkKeys(_ values: [String: String], source: String, sections: [any ConfigSection.Type]) throws(ConfigError) {
        let known = sections.reduce(into: Set(knownKeys.keys)) { $0.formUnion($1.keys.keys) }
        let prefixes = sections.flatMap { $0.keyPrefixes }
        if let unknown = values.keys.sorted().first(where: { key in !known.contains(key) && !prefixes.contains { key.hasPrefix($0) } }) {
            throw .unknownKey(key: unknown, source: source)
        }
    }

    /// The settings a module declares, read and checked now (a command that never builds the
    /// module never asks, so never needs them).
    public func section<Section: ConfigSection>(_ type: Section.Type) throws(ConfigError) -> Section {
        try Section(values)
    }

    init(values: [String: String], environment: AppEnvironment) throws(ConfigError) {
        let reader = ConfigValues(environment: environment, values: values)
        self.values = reader
        self.environment = environment
        databaseURL = try reader.string("DATABASE_URL")
        databasePooler = try reader.oneOf("DATABASE_POOLER", ["none", "pgbouncer"])
        // Fail closed: LISTEN through a transaction pooler is accepted and then silently lost
        // when PgBouncer hands the server connection to someone else.
        if databasePooler == "pgbouncer", reader["DATABASE_DIRECT_URL"] == nil {
            throw .invalid(key: "DATABASE_DIRECT_URL", value: "",
                           expected: "a URL straight to PostgreSQL (LISTEN/NOTIFY cannot go through PgBouncer in transaction mode)")
        }
        databaseDirectURL = reader["DATABASE_DIRECT_URL"] ?? databaseURL
        // The migrator holds a session-level advisory lock, so it too must not go through the pooler.
        migrationDatabaseURL = reader["MIGRATION_DATABASE_URL"] ?? databaseDirectURL
        if reader["DATABASE_PREPARED_STATEMENTS"] == nil {
            databasePreparedStatements = databasePooler != "pgbouncer"
        } else {
            databasePreparedStatements = try reader.oneOf("DATABASE_PREPARED_STATEMENTS", ["on", "off"]) == "on"
        }
        runtimeRole = reader["DATABASE_RUNTIME_ROLE"] ?? "hourglass_app"
        host = try reader.string("HOST")
        port = try reader.integer("PORT", in: 1...65535, as: UInt16.self)
        logLevel = try reader.oneOf("LOG_LEVEL", ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        databasePoolSize = try reader.integer("DB_POOL_SIZE", in: 1...500)
        databaseAcquireTimeout = try reader.milliseconds("DB_ACQUIRE_TIMEOUT_MS")
        databaseStatementTimeout = try reader.milliseconds("DB_STATEMENT_TIMEOUT_MS")
        healthDatabaseTimeout = try reader.milliseconds("HEALTH_DB_TIMEOUT_MS")
        let loops = try reader.integer("HTTP_EVENT_LOOPS", in: 0...256)
        httpEventLoops = loops == 0 ? nil : loops
        httpHeadTimeout = try reader.milliseconds("HTTP_HEAD_TIMEOUT_MS")
        httpBodyIdleTimeout = try reader.milliseconds("HTTP_BODY_IDLE_TIMEOUT_MS")
        httpIdleTimeout = try reader.milliseconds("HTTP_IDLE_TIMEOUT_MS")
        httpHandlerTimeout = try reader.milliseconds("HTTP_HANDLER_TIMEOUT_MS")
        httpWriteTimeout = try reader.milliseconds("HTTP_WRITE_TIMEOUT_MS")
        httpMaxConnections = try reader.integer("HTTP_MAX_CONNECTIONS", in: 1...1_000_000)
        httpMaxBodyBytes = try reader.integer("HTTP_MAX_BODY_BYTES", in: 1024...(1 << 30))
        shutdownGracePeriod = try reader.milliseconds("SHUTDOWN_GRACE_MS")
        migrationsDirectory = try reader.string("MIGRATIONS_DIR")
        jobsInProcess = try reader.oneOf("JOBS_IN_PROCESS", ["true", "false"]) == "true"
        publicBaseURL = reader["PUBLIC_BASE_URL"]
        trustedProxies = values["TRUSTED_PROXIES", default: ""].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}

/// The merged settings, with typed reads whose errors name the key.
public struct ConfigValues: Sendable {
    public let environment: AppEnvironment
    let values: [String: String]

    /// A value as written, or nil when absent or empty.
    public subscript(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }

    /// Every key starting with `prefix` (for per-provider keys).
    public func keys(withPrefix prefix: String) -> [String] { values.keys.filter { $0.hasPrefix(prefix) }.sorted() }

    public func string(_ key: String) throws(ConfigError) -> String {
        guard let value = values[key], !value.isEmpty else { throw .missing(key: key) }
        return value
    }

    public func integer<T: FixedWidthInteger>(_ key: String, in range: ClosedRange<Int>, as _: T.Type = Int.self) throws(ConfigError) -> T {
        let text = try string(key)
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(key: key, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return T(value)
    }

    public func milliseconds(_ key: String) throws(ConfigError) -> Duration {
        .milliseconds(try integer(key, in: 1...86_400_000))
    }

    public func oneOf(_ key: String, _ choices: [String]) throws(ConfigError) -> String {
        let text = try string(key)
        guard choices.contains(text) else { throw .invalid(key: key, value: text, expected: choices.joined(separator: ", ")) }
        return text
    }
}

/// Settings one module needs, declared by that module (its keys and what they mean) and read
/// only by the commands that build it: `hourglass migrate` never asks for a provider's secret.
public protocol ConfigSection: Sendable {
    /// The keys it reads, with what each means (a file may hold only known keys).
    static var keys: [String: String] { get }
    /// Families of keys it reads (`PROVIDER_` for `PROVIDER_<NAME>_SECRET`).
    static var keyPrefixes: [String] { get }
    init(_ values: ConfigValues) throws(ConfigError)
}

extension ConfigSection {
    public static var keyPrefixes: [String] { [] }
}
