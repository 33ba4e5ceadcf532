public import AppKernel
import Ledger

/// The JSON the billing module speaks.
public enum BillingSchemas {
    static let kinds = TransactionKind.driverFacing.map(\.rawValue)
    static let fundings = ["card", "wallet", "promo", "mixed", "none"]

    public static let transaction = SchemaComponent("Transaction", description: "A line of money history", .object(
        .required("id", .uuid),
        .required("type", .oneOf(kinds)),
        .required("amount", .amount, "+ into the balance, − out of it; card-funded lines carry the card amount"),
        .required("ipt_amount", .amount),
        .required("currency", .currency),
        .required("funding", .oneOf(fundings)),
        .required("description", .string),
        .required("related_id", Schema.uuid.orNull, "the policy, session or payment it is about"),
        .required("created_at", .dateTime)))

    static let statementLine = SchemaComponent("StatementLine", .object(transaction.schema.properties + [
        .required("cash_amount", .amount, "what it moved on the cash balance"),
        .required("promo_amount", .amount, "what it moved on promotional credit"),
    ]))

    public static let statement = SchemaComponent("Statement", description: "A week's money, reconciling to the penny", .object(
        .required("week", .string(.init(pattern: "^[0-9]{4}-W[0-9]{2}$"))),
        .required("starts_at", .dateTime),
        .required("ends_at", .dateTime),
        .required("currency", .currency),
        .required("opening_balance_amount", .amount),
        .required("top_ups_amount", .amount),
        .required("charges_amount", .amount),
        .required("refunds_amount", .amount),
        .required("adjustments_amount", .amount),
        .required("closing_balance_amount", .amount, "opening + top_ups − charges + refunds + adjustments"),
        .required("promo", .object(
            .required("opening_balance_amount", .amount), .required("credited_amount", .amount), .required("spent_amount", .amount),
            .required("refunded_amount", .amount), .required("adjustments_amount", .amount), .required("closing_balance_amount", .amount))),
        .required("card", .object(.required("purchases_amount", .amount), .required("refunds_amount", .amount)),
                  "card-paid cover, which never touches the wallet"),
        .required("ipt_amount", .amount),
        .required("lines", .array(of: statementLine.ref)),
        .required("final", .boolean, "the week is over on the driver's clock: stored, never changes")))
}
