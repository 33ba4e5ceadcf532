public import AppKernel

/// The JSON the work-providers module speaks.
public enum WorkProvidersSchemas {
    static let providerDriverID = Schema.text(maxLength: 100)

    static func newLink(providers: [String]) -> Schema {
        .object(.required("provider", .oneOf(providers)),
                .required("provider_driver_id", providerDriverID, "the driver's id at the provider"))
    }

    static let confirmation = Schema.object(
        .required("provider_driver_id", providerDriverID),
        .required("link_code", .string(.init(minLength: 8, maxLength: 8, pattern: "^[0-9A-Za-z]{8}$")), "the code the driver gave you"))

    public static let link = SchemaComponent("WorkProviderLink", description: "The driver's link to a work provider", .object(
        .required("id", .uuid),
        .required("provider", .string),
        .required("provider_driver_id", .string),
        .required("driver_id", .uuid),
        .required("status", .oneOf(WorkProviderLink.Status.self), "only an active link applies shift events"),
        .required("link_code", Schema.string.orNull, "shown once, in the answer to the request: give it to the provider"),
        .required("link_code_expires_at", Schema.dateTime.orNull, "while pending"),
        .required("created_at", .dateTime),
        .required("confirmed_at", Schema.dateTime.orNull)))

    static let event = Schema.object(
        .required("event_id", .text(maxLength: 200)),
        .required("provider_driver_id", providerDriverID),
        .required("type", .oneOf(["shift_started", "shift_ended"])),
        .required("occurred_at", .dateTime),
        .optional("shift_id", Schema.text(maxLength: 200).orNull, "pairs a start with its end"))

    static let accepted = Schema.object(.required("accepted", .boolean), .required("duplicate", .boolean))
}
