public import AppKernel

/// The JSON the payments module speaks.
public enum PaymentsSchemas {
    static let newCard = Schema.object(
        .required("token", .text(maxLength: 200), "a card token from the processor (sandbox: tok_visa, tok_sca_required, tok_declined, tok_insufficient_funds)"))

    public static let paymentMethod = SchemaComponent("PaymentMethod", description: "A saved card", .object(
        .required("id", .uuid),
        .required("brand", .string),
        .required("last4", .string(.init(pattern: "^[0-9]{4}$"))),
        .required("is_default", .boolean),
        .required("created_at", .dateTime)))

    public static let payment = SchemaComponent("Payment", description: "A card payment and where it stands", .object(
        .required("id", .uuid),
        .required("amount", .amount),
        .required("currency", .currency),
        .required("status", .oneOf(["processing", "requires_action", "succeeded", "failed"])),
        .required("purpose", .oneOf(["top_up", "auto_top_up", "block_purchase"])),
        .required("failure_code", Schema.string.orNull, "why it failed: card_declined, insufficient_funds, authentication_required…"),
        .required("next_action", Schema.object(
            .required("type", .oneOf(["redirect"])),
            .required("redirect_url", .string(.init(format: .uri)), "where the driver authenticates (3-D Secure)")).orNull,
                  "set while status is requires_action"),
        .required("created_at", .dateTime)))

    static let receipt = Schema.object(.required("received", .boolean), .required("duplicate", .boolean))

    /// A processor event: its type says what `data.object` is (checked by the handler).
    static let event = Schema.object([
        .required("id", .text(maxLength: 255)),
        .required("type", .text(maxLength: 255)),
        .optional("created", .anyInteger),
        .required("data", .object([.required("object", .map(of: .anyValue))], additionalProperties: true)),
    ], additionalProperties: true)
}
