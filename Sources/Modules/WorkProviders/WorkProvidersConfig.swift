public import AppKernel
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
    ]
    public static let keyPrefixes = ["PROVIDER_"]

    public let providers: [WorkProviderConfig]

    public init(_ values: ConfigValues) throws(ConfigError) {
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
