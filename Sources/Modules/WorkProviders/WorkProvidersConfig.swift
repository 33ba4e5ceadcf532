public import AppKernel
import Cryptography
import Foundation

/// A work provider allowed to send shift events.
public struct WorkProviderConfig: Sendable, Equatable {
    public let name: String
    public let secret: String
    /// Where to tell it about a driver's cover (`PROVIDER_<NAME>_WEBHOOK_URL`), if anywhere.
    public let webhookURL: String?
}

/// The work-providers module's settings: who may send shift events, with their HMAC secrets
/// (`PROVIDER_<NAME>_SECRET`, from the environment) and optional webhook URLs.
public struct WorkProvidersConfig: ConfigSection {
    public static let keys: [String: String] = [
        "WORK_PROVIDERS": "comma-separated work providers that may send shift events",
        "PROVIDER_SECRETS_KEY": "64 hex digits: the AES-256-GCM key sealing work providers' rotated signing secrets (environment only; without it in production, secrets cannot be rotated)",
    ]
    public static let keyPrefixes = ["PROVIDER_"]

    public let providers: [WorkProviderConfig]
    /// Seals the signing secrets staff rotate (`work_providers.secrets`); nil in production
    /// without PROVIDER_SECRETS_KEY (rotation is then refused, and a provider with a rotated
    /// secret verifies nothing: failing closed rather than trusting a retired secret again).
    public let secretsKey: [UInt8]?

    /// Development and test only: a key anyone can read, so their rotated secrets are not secret.
    static let sandboxSecretsKey = [UInt8](repeating: 0x6b, count: 32)

    public init(_ values: ConfigValues) throws(ConfigError) {
        if let text = values["PROVIDER_SECRETS_KEY"] {
            guard let key = [UInt8](hexString: text), key.count == 32 else {
                throw .invalid(key: "PROVIDER_SECRETS_KEY", value: "(hidden)", expected: "64 hexadecimal digits (32 random bytes)")
            }
            secretsKey = key
        } else {
            secretsKey = values.environment.isSandbox ? Self.sandboxSecretsKey : nil
        }
        providers = try (values["WORK_PROVIDERS"] ?? "").split(separator: ",").map { raw throws(ConfigError) in
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else {
                throw .invalid(key: "WORK_PROVIDERS", value: String(raw), expected: "lowercase snake_case names")
            }
            return WorkProviderConfig(name: name, secret: try values.string("PROVIDER_\(name.uppercased())_SECRET"),
                                      webhookURL: values["PROVIDER_\(name.uppercased())_WEBHOOK_URL"])
        }
    }

    public var byName: [String: WorkProviderConfig] { Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0) }) }
}
