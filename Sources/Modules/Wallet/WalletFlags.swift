public import FeatureFlags

/// What the wallet reads from flags: automatic top-ups, as a kill switch or a gradual rollout;
/// and the four-eyes thresholds of staff money actions (OPS.md "Actions"). The refund
/// thresholds live here, below the refunds module, because refunds to the wallet (this module's
/// `refund_to_wallet`) and to the card (the refunds module's `refund`) follow the same rule.
public enum WalletFlags {
    public static let autoTopUp = FlagDefinition(
        "auto_top_up", .flag(defaultOn: true), owner: "wallet",
        "Automatic top-ups by card when the balance falls under the driver's threshold (off: no card is charged automatically).")

    /// OPS.md four-eyes: a wallet adjustment or credit over this needs another person's approval.
    public static let adjustmentFourEyesOver = FlagDefinition(
        "wallet_adjustment_four_eyes_over_amount", .integer(default: 2000, range: 0...1_000_000), owner: "wallet", fourEyes: true,
        "Wallet adjustments and promotional credit above this (pence) need a second person's approval.")

    /// OPS.md four-eyes: a refund (to the card or to the wallet) over this needs another person's approval.
    public static let refundFourEyesOver = FlagDefinition(
        "refund_four_eyes_over_amount", .integer(default: 5000, range: 0...10_000_000), owner: "refunds", fourEyes: true,
        "Refunds (to the card or to the wallet) above this (pence) need a second person's approval.")

    /// OPS.md: a refund over the maker's ceiling needs another person's approval, whatever the
    /// threshold above; one ceiling per role that may refund.
    public static let refundCeilingSeniorOps = FlagDefinition(
        "refund_ceiling_senior_ops_amount", .integer(default: 5_000, range: 0...10_000_000), owner: "refunds", fourEyes: true,
        "The largest refund (pence) someone in senior ops may make alone; above it another person must approve.")
    public static let refundCeilingFinance = FlagDefinition(
        "refund_ceiling_finance_amount", .integer(default: 50_000, range: 0...10_000_000), owner: "refunds", fourEyes: true,
        "The largest refund (pence) someone in finance may make alone; above it another person must approve.")

    /// The ceiling setting of a staff role; nil for a role that has none (every refund it makes
    /// then needs approval).
    public static func refundCeiling(forRole role: String) -> FlagDefinition? {
        switch role {
        case "senior_ops": refundCeilingSeniorOps
        case "finance": refundCeilingFinance
        default: nil
        }
    }

    /// OPS.md: support may give goodwill credit up to £10 alone.
    public static let supportGoodwillCeiling = FlagDefinition(
        "goodwill_ceiling_support_amount", .integer(default: 1_000, range: 0...100_000), owner: "wallet", fourEyes: true,
        "The most goodwill credit (pence) someone in support may give one driver in 24 hours alone; above it senior ops or finance approves.")

    public static let all = [supportGoodwillCeiling, autoTopUp, adjustmentFourEyesOver, refundFourEyesOver, refundCeilingSeniorOps, refundCeilingFinance]
}
