import AppKernel
public import Foundation
public import Postgres

/// One posting as the admin shows it beside what caused it.
public struct LedgerPostingSummary: Sendable, Equatable {
    public let id: UUID
    public let kind: String
    public let description: String
    /// The effect on the driver's balance (+ in, − out).
    public let amount: Int64
    public let iptAmount: Int64
    public let funding: String
    public let createdAt: Date
}

extension Ledger {
    /// The postings related to an object (a session's charges), oldest first.
    public func postings(relatedTo relatedID: UUID, on database: any PostgresQueryable) async throws -> [LedgerPostingSummary] {
        try await LedgerStore(database: database).postings(relatedTo: relatedID)
    }
}
