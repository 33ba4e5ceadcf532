public import Foundation

/// How many of `drivers` a percentage rollout includes (for tests of the targeting rule).
public enum FlagTargetingProbe {
    public static func share(of drivers: [UUID], percentage: Int, key: String) -> Int {
        drivers.filter { FlagTargeting.percentage(percentage).includes($0, key: key) }.count
    }
}
