public import FeatureFlags

/// What the work-providers module reads from runtime settings.
public enum WorkProvidersFlags {
    /// How long the secret a rotation replaces still verifies (OPS.md: an overlap window in
    /// which both secrets verify). 24 hours by default: a working day for the provider's
    /// engineers to install the new secret, short enough that a leaked one dies soon. Changing
    /// it is itself four-eyes, as the rotation is.
    public static let secretOverlapHours = FlagDefinition(
        "provider_secret_overlap_hours", .integer(default: 24, range: 1...168), owner: "work_providers", fourEyes: true,
        "After a provider's signing secret is rotated, the old secret still verifies for this many hours (1 to 168).")

    public static let all = [secretOverlapHours]
}
