public import AdminUI
public import AppKernel

/// Feature flags and runtime settings (OPS.md: module `feature_flags`).
public struct FeatureFlagsModule: AppModule, AdminContributing {
    public static let name = "feature_flags"
    let flags: FeatureFlags

    public init(flags: FeatureFlags) { self.flags = flags }

    public var adminSection: any AdminSection { FeatureFlagsAdmin(flags: flags) }
}
