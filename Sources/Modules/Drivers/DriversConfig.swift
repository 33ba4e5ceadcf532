public import AppKernel

/// The drivers module's settings.
public struct DriversConfig: ConfigSection {
    public static let keys: [String: String] = [
        "SIGN_UPS_PER_ADDRESS_PER_HOUR": "sign-ups allowed from one client address per hour before 429",
    ]

    public let signUpsPerAddressPerHour: Int

    public init(_ values: ConfigValues) throws(ConfigError) {
        signUpsPerAddressPerHour = try values.integer("SIGN_UPS_PER_ADDRESS_PER_HOUR", in: 1...1_000_000)
    }
}
