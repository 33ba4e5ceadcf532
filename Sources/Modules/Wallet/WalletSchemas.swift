public import AppKernel

/// The JSON the wallet module speaks.
public enum WalletSchemas {
    static let autoTopUp = Schema.object(
        .required("enabled", .boolean),
        .required("threshold_amount", .integer(0...50_000), "top up when the cash balance falls under this"),
        .required("amount", .integer(Wallet.minimumTopUp...Wallet.maximumTopUp), "how much each automatic top-up adds"))

    public static let wallet = SchemaComponent("Wallet", description: "The prepaid balance", .object(
        .required("balance_amount", .amount, "cash, excluding promotional credit"),
        .required("promo_balance_amount", .amount, "promotional credit: spent first, never refunded to a card"),
        .required("currency", .currency),
        .required("auto_top_up", autoTopUp)))

    static let patch = Schema.object(
        .required("auto_top_up", .object(
            .optional("enabled", .boolean),
            .optional("threshold_amount", .integer(0...50_000)),
            .optional("amount", .integer(Wallet.minimumTopUp...Wallet.maximumTopUp)))))

    static let topUp = Schema.object(
        .required("amount", .integer(Wallet.minimumTopUp...Wallet.maximumTopUp), "pence: £5 to £500"),
        .required("payment_method_id", .uuid))
}
