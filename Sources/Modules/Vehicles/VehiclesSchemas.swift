public import AppKernel

/// The JSON the vehicles module speaks.
public enum VehiclesSchemas {
    static let newVehicle = Schema.object(
        .required("registration", .text(maxLength: 12, pattern: Vehicle.registrationPattern, mismatch: "must be a UK registration mark, e.g. AB12 CDE"),
                  "a UK registration mark, e.g. AB12 CDE: 2 to 8 letters and digits (at least one of each), spaces and hyphens ignored"),
        .required("type", .oneOf(VehicleType.self)),
        .required("make", .text(maxLength: 50)),
        .required("model", .text(maxLength: 50)),
        .required("year", .integer(1950...2100), "from 1950 to next year"),
        .required("value_amount", .integer(1...100_000_000), "pence"))

    public static let vehicle = SchemaComponent("Vehicle", .object(
        .required("id", .uuid),
        .required("driver_id", .uuid),
        .required("registration", .string, "normalised: upper case, no spaces"),
        .required("type", .oneOf(VehicleType.self)),
        .required("make", .string),
        .required("model", .string),
        .required("year", .integer(1950...2100)),
        .required("value_amount", .amount),
        .required("currency", .currency),
        .required("created_at", .dateTime)))
}
