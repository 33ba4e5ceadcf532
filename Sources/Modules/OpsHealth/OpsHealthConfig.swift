public import AppKernel

/// The ops-health module's settings.
public struct OpsHealthConfig: ConfigSection {
    public static let keys: [String: String] = [
        "METRICS_TOKEN": "bearer token GET /metrics requires (environment only); without one, /metrics is closed in production",
    ]

    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    public let metricsToken: String?
    /// Without a token: open in sandbox mode, closed (404) in production.
    public let metricsOpen: Bool

    public init(_ values: ConfigValues) throws(ConfigError) {
        metricsToken = values["METRICS_TOKEN"]
        metricsOpen = metricsToken == nil && values.environment.isSandbox
    }
}
