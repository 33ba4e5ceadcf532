public import FeatureFlags

/// What ops health reads from flags and settings: maintenance mode (OPS.md).
public enum OpsHealthFlags {
    public static let maintenanceMode = FlagDefinition(
        "maintenance_mode", .boolean(default: false), owner: "ops_health",
        "While on, the driver API answers 503 with Retry-After; health checks, provider events, card processor webhooks and the admin go on.")
    public static let maintenanceRetryAfter = FlagDefinition(
        "maintenance_retry_after_seconds", .integer(default: 300, range: 30...3600), owner: "ops_health",
        "The Retry-After the driver API sends during maintenance, in seconds.")

    public static let all = [maintenanceMode, maintenanceRetryAfter]
}
