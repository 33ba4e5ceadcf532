public import FeatureFlags

/// What drivers reads from flags: whether new drivers may sign up.
public enum DriversFlags {
    public static let signUpsOpen = FlagDefinition(
        "sign_ups_open", .boolean(default: true), owner: "drivers",
        "New drivers may sign up (off: POST /v1/drivers answers 503; existing drivers are not affected).")

    public static let all = [signUpsOpen]
}
