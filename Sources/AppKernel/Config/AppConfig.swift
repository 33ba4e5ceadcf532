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
    /// PBKDF2 rounds for new password hashes; at least 600,000 outside the test environment.
    public var passwordHashIterations: Int
    /// The card processor. In sandbox mode, with no `PSP_BASE_URL`, the sandbox PSP runs
    /// in-process on `pspSandboxPort` with keys made up at start-up.
    public var pspBaseURL: String?
    public var pspAPIKey: String?
    public var pspWebhookSecret: String?
    public var pspSandboxPort: UInt16
    /// Work providers allowed to send shift events, with their HMAC secrets
    /// (`PROVIDER_<NAME>_SECRET`, from the environment) and optional webhook URLs
    /// (`PROVIDER_<NAME>_WEBHOOK_URL`) for telling them when a driver's cover pauses or resumes.
    public var workProviders: [WorkProviderConfig]
    /// Run job workers inside `hourglass serve` (development); otherwise run `hourglass worker`.
    public var jobsInProcess: Bool
    /// Failed logins from one address within 15 minutes before further attempts get 429.
    public var loginMaxFailuresPerAddress: Int
    /// Load balancers whose `X-Forwarded-For` is believed (IPs and IPv4 CIDR blocks).
    public var trustedProxies: [String]
    /// Sign-ups allowed from one client address per hour.
    public var signUpsPerAddressPerHour: Int
    /// How long a card payment may wait for its outcome before the recovery job asks the
    /// processor about it (real time).
    public var paymentRecoveryAfter: Duration

    /// Keys that may appear in config files, with what each means (the README lists them too).
    public static let knownKeys: [String: String] = [
        "HOURGLASS_ENV": "development, test or production; selects config/<env>.env",
        "DATABASE_URL": "libpq connection URI",
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
        "PASSWORD_HASH_ITERATIONS": "PBKDF2-HMAC-SHA256 rounds for new password hashes (>= 600000 except in test)",
        "PSP_BASE_URL": "card processor API base URL; empty in sandbox runs the sandbox PSP in-process",
        "PSP_API_KEY": "secret API key for the card processor (environment only)",
        "PSP_WEBHOOK_SECRET": "HMAC secret of the card processor's webhooks (environment only)",
        "PSP_SANDBOX_PORT": "loopback port of the in-process sandbox PSP; 0 picks a free one",
        "WORK_PROVIDERS": "comma-separated work providers that may send shift events",
        "JOBS_IN_PROCESS": "true to run job workers inside hourglass serve",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "failed logins per client address per 15 minutes before 429",
        "TRUSTED_PROXIES": "comma-separated load balancer addresses (IPs, IPv4 CIDR) whose X-Forwarded-For is believed",
        "SIGN_UPS_PER_ADDRESS_PER_HOUR": "sign-ups allowed from one client address per hour before 429",
        "PAYMENT_RECOVERY_AFTER_SECONDS": "a card payment unsettled this long is settled by asking the processor",
    ]

    /// Loads the layers from `configDirectory` for the environment named in `environment`.
    public static func load(configDirectory: URL, environment processEnvironment: [String: String]) throws(ConfigError) -> AppConfig {
        let defaults = try EnvFile.load(configDirectory.appendingPathComponent("defaults.env"), required: true)
        try checkKeys(defaults, source: "defaults.env")
        let envName = processEnvironment["HOURGLASS_ENV"] ?? defaults["HOURGLASS_ENV"] ?? "development"
        guard let environment = AppEnvironment(rawValue: envName) else {
            throw .invalid(key: "HOURGLASS_ENV", value: envName, expected: "development, test or production")
        }
        let overrides = try EnvFile.load(configDirectory.appendingPathComponent("\(envName).env"), required: false)
        try checkKeys(overrides, source: "\(envName).env")
        let merged = defaults.merging(overrides) { $1 }.merging(processEnvironment) { $1 }
        return try AppConfig(values: merged, environment: environment)
    }

    private static func checkKeys(_ values: [String: String], source: String) throws(ConfigError) {
        if let unknown = values.keys.sorted().first(where: { knownKeys[$0] == nil && !$0.hasPrefix("PROVIDER_") }) {
            throw .unknownKey(key: unknown, source: source)
        }
    }

    init(values: [String: String], environment: AppEnvironment) throws(ConfigError) {
        let reader = ConfigReader(values: values)
        self.environment = environment
        databaseURL = try reader.string("DATABASE_URL")
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
        // OWASP's 2023 floor for PBKDF2-HMAC-SHA256; only the test suite may go lower, for speed.
        passwordHashIterations = try reader.integer("PASSWORD_HASH_ITERATIONS",
                                                    in: (environment == .test ? 1_000 : 600_000)...10_000_000)
        pspBaseURL = values["PSP_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        pspAPIKey = values["PSP_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        pspWebhookSecret = values["PSP_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        pspSandboxPort = try reader.integer("PSP_SANDBOX_PORT", in: 0...65535, as: UInt16.self)
        jobsInProcess = try reader.oneOf("JOBS_IN_PROCESS", ["true", "false"]) == "true"
        loginMaxFailuresPerAddress = try reader.integer("LOGIN_MAX_FAILURES_PER_ADDRESS", in: 1...1_000_000)
        trustedProxies = values["TRUSTED_PROXIES", default: ""].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        signUpsPerAddressPerHour = try reader.integer("SIGN_UPS_PER_ADDRESS_PER_HOUR", in: 1...1_000_000)
        paymentRecoveryAfter = .seconds(try reader.integer("PAYMENT_RECOVERY_AFTER_SECONDS", in: 1...86_400))
        workProviders = try values["WORK_PROVIDERS", default: ""].split(separator: ",").map { raw throws(ConfigError) in
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else {
                throw .invalid(key: "WORK_PROVIDERS", value: String(raw), expected: "lowercase snake_case names")
            }
            let key = "PROVIDER_\(name.uppercased())_SECRET"
            return WorkProviderConfig(name: name, secret: try reader.string(key),
                                      webhookURL: values["PROVIDER_\(name.uppercased())_WEBHOOK_URL"].flatMap { $0.isEmpty ? nil : $0 })
        }
        // Outside sandbox mode there is no sandbox PSP to fall back on: all three are required.
        if !environment.isSandbox || pspBaseURL != nil {
            _ = try reader.string("PSP_BASE_URL")
            _ = try reader.string("PSP_API_KEY")
            _ = try reader.string("PSP_WEBHOOK_SECRET")
        }
    }
}

/// Typed reads with errors that name the key.
struct ConfigReader {
    let values: [String: String]

    func string(_ key: String) throws(ConfigError) -> String {
        guard let value = values[key], !value.isEmpty else { throw .missing(key: key) }
        return value
    }

    func integer<T: FixedWidthInteger>(_ key: String, in range: ClosedRange<Int>, as _: T.Type = Int.self) throws(ConfigError) -> T {
        let text = try string(key)
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(key: key, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return T(value)
    }

    func milliseconds(_ key: String) throws(ConfigError) -> Duration {
        .milliseconds(try integer(key, in: 1...86_400_000))
    }

    func oneOf(_ key: String, _ choices: [String]) throws(ConfigError) -> String {
        let text = try string(key)
        guard choices.contains(text) else { throw .invalid(key: key, value: text, expected: choices.joined(separator: ", ")) }
        return text
    }
}

/// A work provider allowed to send shift events.
public struct WorkProviderConfig: Sendable, Equatable {
    public let name: String
    public let secret: String
    public let webhookURL: String?
}
