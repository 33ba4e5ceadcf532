public import AppKernel
import Cryptography

/// The identity module's settings.
public struct IdentityConfig: ConfigSection {
    public static let keys: [String: String] = [
        "PASSWORD_HASH_ITERATIONS": "PBKDF2-HMAC-SHA256 rounds for new password hashes (>= 600000 except in test)",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "failed logins per client address per 15 minutes before 429",
        "STAFF_MFA_KEY": "64 hex digits: the AES-256-GCM key sealing staff TOTP secrets (environment only; required in production)",
    ]

    /// PBKDF2 rounds for new password hashes.
    public let passwordHashIterations: Int
    /// Failed logins from one address within 15 minutes before further attempts get 429.
    public let loginMaxFailuresPerAddress: Int

    /// Seals staff TOTP secrets in the database.
    public let staffMFAKey: [UInt8]

    /// Development and test only: a key anyone can read, so their TOTP secrets are not secret.
    static let sandboxMFAKey = [UInt8](repeating: 0x5a, count: 32)

    public init(_ values: ConfigValues) throws(ConfigError) {
        // OWASP's 2023 floor for PBKDF2-HMAC-SHA256; only the test suite may go lower, for speed.
        passwordHashIterations = try values.integer("PASSWORD_HASH_ITERATIONS", in: (values.environment == .test ? 1_000 : 600_000)...10_000_000)
        loginMaxFailuresPerAddress = try values.integer("LOGIN_MAX_FAILURES_PER_ADDRESS", in: 1...1_000_000)
        if let text = values["STAFF_MFA_KEY"] {
            guard let key = [UInt8](hexString: text), key.count == 32 else {
                throw .invalid(key: "STAFF_MFA_KEY", value: "(hidden)", expected: "64 hexadecimal digits (32 random bytes)")
            }
            staffMFAKey = key
        } else if values.environment.isSandbox {
            staffMFAKey = Self.sandboxMFAKey
        } else {
            throw .missing(key: "STAFF_MFA_KEY")
        }
    }
}
