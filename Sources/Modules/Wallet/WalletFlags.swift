public import FeatureFlags

/// What the wallet reads from flags: automatic top-ups, as a kill switch or a gradual rollout.
public enum WalletFlags {
    public static let autoTopUp = FlagDefinition(
        "auto_top_up", .flag(defaultOn: true), owner: "wallet",
        "Automatic top-ups by card when the balance falls under the driver's threshold (off: no card is charged automatically).")

    /// OPS.md four-eyes: a wallet adjustment or credit over this needs another person's approval.
    public static let adjustmentFourEyesOver = FlagDefinition(
        "wallet_adjustment_four_eyes_over_amount", .integer(default: 2000, range: 0...1_000_000), owner: "wallet", fourEyes: true,
        "Wallet adjustments and promotional credit above this (pence) need a second person's approval.")

    public static let all = [autoTopUp, adjustmentFourEyesOver]
}
