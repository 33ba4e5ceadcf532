import AppKernel

/// UK Insurance Premium Tax inside a gross price (PRODUCT.md: prices are gross, IPT at 12%).
/// The one owner of the rule: quotes, charges, refunds and statements all split gross here.
public enum PremiumTax {
    /// IPT inside a gross amount: 12% of the net premium is 3/28 of the gross, rounded half up
    /// once (`ipt_amount = round_half_up(total × 3/28)`).
    public static func ipt(ofGross gross: Int64) -> Int64 { Money.roundHalfUp(gross * 3, 28) }

    /// The net premium inside a gross amount: `gross − ipt`.
    public static func net(ofGross gross: Int64) -> Int64 { gross - ipt(ofGross: gross) }
}
