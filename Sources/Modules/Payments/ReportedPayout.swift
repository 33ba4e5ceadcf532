public import Foundation

/// A payout (the processor's transfer of settled card money to our bank) as its last
/// `payout.*` event described it.
public struct ReportedPayout: Sendable, Equatable {
    public let id: String
    public let amount: Int64
    public let currency: String
    public let status: String
    public let arrivalAt: Date?
}
