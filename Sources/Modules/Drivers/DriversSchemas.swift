public import AppKernel

/// The JSON the drivers module speaks.
public enum DriversSchemas {
    static let signUp = Schema.object(
        .required("email", .text(maxLength: 254, pattern: UKFormats.emailPattern, mismatch: "must be a valid email address")),
        .required("password", .string(.init(minLength: 10, maxLength: 128)), "10 to 128 characters"),
        .required("full_name", .text(maxLength: 100)),
        .required("date_of_birth", .date),
        .required("phone", .text(maxLength: 30), "a UK number, e.g. 07700 900123"),
        .required("postcode", .text(maxLength: 10, pattern: UKFormats.postcodePattern, mismatch: "must be a UK postcode, e.g. SW1A 1AA"), "a UK postcode, e.g. SW1A 1AA"),
        .required("licence_number", .text(maxLength: 30)),
        .required("licence_type", .oneOf(LicenceType.self)),
        .required("licence_issued_on", .date),
        .optional("declared_claims", .integer(0...20), "claims in the last 5 years (default 0)"),
        .optional("test_clock_id", Schema.uuid.orNull, "sandbox only: the driver's time follows this test clock"))

    /// The driver object.
    public static let driver = SchemaComponent("Driver", description: "A driver's profile", .object(
        .required("id", .uuid),
        .required("email", .string),
        .required("full_name", .string),
        .required("date_of_birth", .date),
        .required("phone", .string, "normalised to +44 E.164"),
        .required("postcode", .string, "normalised, e.g. SW1A 1AA"),
        .required("licence_number", .string),
        .required("licence_type", .oneOf(LicenceType.self)),
        .required("licence_issued_on", .date),
        .required("declared_claims", .integer(0...20)),
        .required("test_clock_id", Schema.uuid.orNull),
        .required("created_at", .dateTime)))

    static let signedUp = SchemaComponent("SignedUp", .object(
        .required("driver", driver.ref),
        .required("token", .string),
        .required("token_expires_at", .dateTime)))
}
