public import AppKernel

/// The JSON the quotes module speaks.
public enum QuotesSchemas {
    static let newQuote = Schema.object(
        .required("vehicle_id", .uuid),
        .required("product", .oneOf(Product.self)),
        .required("usage", .oneOf(Usage.self)),
        .optional("hours", Schema.integer(1...24).orNull, "hourly only: the block's length (required for hourly)"),
        .optional("starts_at", Schema.dateTime.orNull, "hourly only: up to 7 days ahead; default now (cover then starts once paid)"))

    public static let quote = SchemaComponent("Quote", description: "A priced, underwritten quote, valid 30 minutes", .object(
        .required("id", .uuid),
        .required("status", .oneOf(["quoted", "bound", "expired"])),
        .required("product", .oneOf(Product.self)),
        .required("usage", .oneOf(Usage.self)),
        .required("vehicle_id", .uuid),
        .required("hours", Schema.integer(1...24).orNull, "null for PAYG"),
        .required("starts_at", Schema.dateTime.orNull, "null for PAYG"),
        .required("ends_at", Schema.dateTime.orNull, "null for PAYG"),
        .required("currency", .currency),
        .required("hourly_rate_amount", .amount),
        .required("premium_amount", .amount, "net of IPT"),
        .required("ipt_amount", .amount, "Insurance Premium Tax inside total_amount"),
        .required("total_amount", .amount, "PAYG: the first (minimum) hour; hourly: the whole block"),
        .required("valid_until", .dateTime),
        .required("rating_version", .integer(minimum: 1, maximum: nil)),
        .required("factors", .array(of: .object(
            .required("name", .string), .required("band", .string),
            .required("value", .anyInteger, "basis points (10000 = ×1.00); the base rate in pence")))),
        .required("created_at", .dateTime)))
}
