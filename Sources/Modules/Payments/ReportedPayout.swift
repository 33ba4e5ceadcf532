public import Foundation
import Postgres

/// A payout (the processor's transfer of settled card money to our bank) as its last
/// `payout.*` event described it.
public struct ReportedPayout: Sendable, Equatable {
    public let id: String
    public let amount: Int64
    /// Upper case (`GBP`), as the rest of our books write it.
    public let currency: String
    public let status: String
    public let arrivalAt: Date?

    /// From `id, amount, currency, status, arrival_at`.
    init(row: PostgresRow) throws {
        id = try row.decode(String.self, at: 0)
        amount = try row.decode(Int64.self, at: 1)
        currency = try row.decode(String.self, at: 2)
        status = try row.decode(String.self, at: 3)
        arrivalAt = try row.decode(Date?.self, at: 4)
    }
}
