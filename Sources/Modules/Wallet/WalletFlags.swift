public import FeatureFlags

/// What the wallet reads from flags: automatic top-ups, as a kill switch or a gradual rollout.
public enum WalletFlags {
    public static let autoTopUp = FlagDefinition(
        "auto_top_up", .flag(defaultOn: true), owner: "wallet",
        "Automatic top-ups by card when the balance falls under the driver's threshold (off: no card is charged automatically).")

    public static let all = [autoTopUp]
}
