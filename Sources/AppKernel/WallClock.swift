public import Foundation

/// Where "now" comes from. Domain code reads `context.now`, never `Date()` (STYLE.md C8), so
/// tests and sandbox test clocks control time.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The real time, in whole microseconds: what PostgreSQL keeps, so a time written and read
/// back is the same `Date` (with the system's sub-microsecond digits, a shift stored at "now"
/// read back a hair after "now" and had not started yet).
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Self.microseconds(Date()) }

    /// `date` truncated to a whole microsecond, exactly as the database stores and returns it.
    public static func microseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))) / 1_000_000)
    }
}
