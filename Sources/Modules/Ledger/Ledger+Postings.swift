public import Foundation
public import Postgres

/// One posting with every entry, as another module's admin shows it beside its own object (a
/// reconciliation exception beside the clearing leg it is about).
public struct LedgerPostingDetail: Sendable, Equatable {
    /// One entry: positive is a debit, negative a credit.
    public struct Entry: Sendable, Equatable {
        public let id: Int64
        public let accountID: String
        public let amount: Int64
    }

    public let id: UUID
    public let kind: String
    public let description: String
    /// The driver it is for (nil for house postings).
    public let driverID: UUID?
    public let relatedID: UUID?
    /// The effect on the driver's balance (+ in, − out), or the card amount.
    public let amount: Int64
    public let currency: String
    public let createdAt: Date
    public let entries: [Entry]
}

extension Ledger {
    /// A posting and its entries; nil when there is none with this id.
    public func posting(_ id: UUID, on database: any PostgresQueryable) async throws -> LedgerPostingDetail? {
        let store = LedgerStore(database: database)
        guard let row = try await store.transaction(id: id) else { return nil }
        let entries = try await store.entries(of: [id]).map { LedgerPostingDetail.Entry(id: $0.id, accountID: $0.accountID, amount: $0.amount) }
        return LedgerPostingDetail(id: row.id, kind: row.kind, description: row.description, driverID: row.driverID, relatedID: row.relatedID,
                                   amount: row.amount, currency: row.currency, createdAt: row.createdAt, entries: entries)
    }

    /// What staff call an account: `PSP clearing`, `Driver 1a2b3c4d cash`, `settlement_suspense:eur`.
    public static func accountName(_ id: String) -> String { LedgerAdmin.accountName(id) }

    /// The admin page of a posting.
    public static func adminPath(posting id: UUID) -> String { LedgerAdmin.transactionPath(id) }
    /// The admin page of an account.
    public static func adminPath(account id: String) -> String { LedgerAdmin.accountPath(id) }
}
