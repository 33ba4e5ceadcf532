public import Foundation

/// Where "now" comes from. Domain code reads `context.now`, never `Date()` (STYLE.md C8), so
/// tests and sandbox test clocks control time.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The real time.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
