public import AppKernel

/// The identity module's settings.
public struct IdentityConfig: ConfigSection {
    public static let keys: [String: String] = [
        "PASSWORD_HASH_ITERATIONS": "PBKDF2-HMAC-SHA256 rounds for new password hashes (>= 600000 except in test)",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "failed logins per client address per 15 minutes before 429",
    ]

    /// PBKDF2 rounds for new password hashes.
    public let passwordHashIterations: Int
    /// Failed logins from one address within 15 minutes before further attempts get 429.
    public let loginMaxFailuresPerAddress: Int

    public init(_ values: ConfigValues) throws(ConfigError) {
        // OWASP's 2023 floor for PBKDF2-HMAC-SHA256; only the test suite may go lower, for speed.
        passwordHashIterations = try values.integer("PASSWORD_HASH_ITERATIONS", in: (values.environment == .test ? 1_000 : 600_000)...10_000_000)
        loginMaxFailuresPerAddress = try values.integer("LOGIN_MAX_FAILURES_PER_ADDRESS", in: 1...1_000_000)
    }
}
