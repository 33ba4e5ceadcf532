public import AppKernel

/// The JSON the claims module speaks.
public enum ClaimsSchemas {
    static let types = ["accident", "theft", "damage", "injury"]
    static let thirdParty = Schema.object(
        .optional("name", Schema.text(maxLength: 200).orNull),
        .optional("registration", Schema.text(maxLength: 200).orNull),
        .optional("insurer", Schema.text(maxLength: 200).orNull),
        .optional("phone", Schema.text(maxLength: 200).orNull))

    static let newClaim = Schema.object(
        .required("policy_id", .uuid),
        .required("occurred_at", .dateTime, "when it happened: the policy must have covered that instant"),
        .required("type", .oneOf(types)),
        .required("description", .paragraphs(maxLength: 5000)),
        .required("location", .text(maxLength: 500)),
        .optional("third_parties", Schema.array(of: thirdParty, maxItems: 20).orNull))

    public static let claim = SchemaComponent("Claim", description: "A reported claim", .object(
        .required("id", .uuid),
        .required("reference", .string(.init(pattern: "^CL-[0-9A-F]{8}$")), "quote it to the claims team"),
        .required("status", .oneOf(["submitted", "in_review", "settled", "rejected", "withdrawn"])),
        .required("policy_id", .uuid),
        .required("session_id", Schema.uuid.orNull, "the PAYG session that covered it"),
        .required("occurred_at", .dateTime),
        .required("type", .oneOf(types)),
        .required("description", .string),
        .required("location", .string),
        .required("third_parties", .array(of: .object(
            .required("name", Schema.string.orNull), .required("registration", Schema.string.orNull),
            .required("insurer", Schema.string.orNull), .required("phone", Schema.string.orNull)))),
        .required("attachments", .integer(minimum: 0, maximum: nil)),
        .required("created_at", .dateTime),
        .required("status_history", .array(of: .object(
            .required("status", .oneOf(["submitted", "in_review", "settled", "rejected", "withdrawn"])),
            .required("at", .dateTime),
            .required("message", Schema.string.orNull, "what the claims team told the driver with it"))),
            "every status the claim has had, oldest first"),
        .required("information_requests", .array(of: .object(
            .required("id", .uuid),
            .required("message", .string, "what the claims team asks for"),
            .required("requested_at", .dateTime),
            .required("answered_at", Schema.dateTime.orNull, "when the driver next added an attachment"))),
            "the claims team asking for more; answer by adding attachments")))

    static let attachment = SchemaComponent("Attachment", .object(
        .required("id", .uuid),
        .required("content_type", .oneOf(["image/jpeg", "image/png", "image/heic", "application/pdf"])),
        .required("size_bytes", .integer(minimum: 1, maximum: nil)),
        .required("sha256", .string(.init(pattern: "^[0-9a-f]{64}$")))))
}
