import AppKernel
import Foundation
import Postgres

/// A posting as the admin shows it (every column, whoever it is for).
struct LedgerTransactionRow: Sendable {
    let id: UUID
    let kind: String
    let driverID: UUID?
    let description: String
    let amount: Int64
    let iptAmount: Int64
    let funding: String
    let relatedID: UUID?
    let currency: String
    let createdAt: Date

    static let columns: SQL = "id, kind, driver_id, description, amount, ipt_amount, funding, related_id, currency, created_at"

    /// From `columns`, starting at column `offset`.
    init(row: PostgresRow, offset: Int = 0) throws {
        id = try row.decode(UUID.self, at: offset)
        kind = try row.decode(String.self, at: offset + 1)
        driverID = try row.decode(UUID?.self, at: offset + 2)
        description = try row.decode(String.self, at: offset + 3)
        amount = try row.decode(Int64.self, at: offset + 4)
        iptAmount = try row.decode(Int64.self, at: offset + 5)
        funding = try row.decode(String.self, at: offset + 6)
        relatedID = try row.decode(UUID?.self, at: offset + 7)
        currency = try row.decode(String.self, at: offset + 8)
        createdAt = try row.decode(Date.self, at: offset + 9)
    }
}

/// One line of a posting: positive is a debit, negative a credit.
struct LedgerEntryRow: Sendable {
    let id: Int64
    let transactionID: UUID
    let accountID: String
    let amount: Int64
}

/// An account with its maintained balance (the sum of its shards; debits positive).
struct LedgerAccountRow: Sendable {
    let id: String
    let kind: String
    let currency: String
    let createdAt: Date
    let balance: Int64
    let shards: Int
}

/// An entry on an account's page, with the posting it belongs to.
struct AccountEntryRow: Sendable {
    let id: Int64
    let amount: Int64
    let transaction: LedgerTransactionRow
}

/// A driver account whose maintained balance differs from the sum of its entries.
struct DriftRow: Sendable, Equatable {
    let accountID: String
    let maintained: Int64
    let fromEntries: Int64
}

/// A posting whose entries do not sum to zero, or that has fewer than two.
struct UnbalancedRow: Sendable, Equatable {
    let transactionID: UUID
    let createdAt: Date
    let entries: Int
    let total: Int64
}

/// The ledger schema's queries for the admin.
extension LedgerStore {
    struct JournalFilter {
        var kinds: [String] = []
        var driverID: UUID?
        var relatedID: UUID?
        var transactionID: UUID?
    }

    /// Postings newest first, `limit + 1` rows after the cursor.
    func journal(_ filter: JournalFilter, page: PageRequest) async throws -> [LedgerTransactionRow] {
        try await database.queryAll("""
            SELECT \(LedgerTransactionRow.columns) FROM ledger.transactions
            WHERE (cardinality(\(filter.kinds)::text[]) = 0 OR kind = ANY(\(filter.kinds)))
              AND (\(filter.driverID)::uuid IS NULL OR driver_id = \(filter.driverID))
              AND (\(filter.relatedID)::uuid IS NULL OR related_id = \(filter.relatedID))
              AND (\(filter.transactionID)::uuid IS NULL OR id = \(filter.transactionID))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: { try LedgerTransactionRow(row: $0) })
    }

    func transaction(id: UUID) async throws -> LedgerTransactionRow? {
        try await database.queryOptional("SELECT \(LedgerTransactionRow.columns) FROM ledger.transactions WHERE id = \(id)",
                                         decode: { try LedgerTransactionRow(row: $0) })
    }

    /// The entries of these postings (a page's worth), in the order they were written.
    func entries(of transactionIDs: [UUID]) async throws -> [LedgerEntryRow] {
        guard !transactionIDs.isEmpty else { return [] }
        return try await database.queryAll("""
            SELECT id, transaction_id, account_id, amount FROM ledger.entries
            WHERE transaction_id = ANY(\(transactionIDs)) ORDER BY transaction_id, id LIMIT \(transactionIDs.count * 20)
            """) { LedgerEntryRow(id: try $0.decode(Int64.self, at: 0), transactionID: try $0.decode(UUID.self, at: 1),
                                  accountID: try $0.decode(String.self, at: 2), amount: try $0.decode(Int64.self, at: 3)) }
    }

    static let accountColumns: SQL = """
        a.id, a.kind, a.currency, a.created_at,
        coalesce((SELECT sum(s.balance) FROM ledger.balance_shards s WHERE s.account_id = a.id), 0)::int8,
        (SELECT count(*) FROM ledger.balance_shards s WHERE s.account_id = a.id)::int8
        """

    static func account(row: PostgresRow) throws -> LedgerAccountRow {
        LedgerAccountRow(id: try row.decode(String.self, at: 0), kind: try row.decode(String.self, at: 1),
                         currency: try row.decode(String.self, at: 2), createdAt: try row.decode(Date.self, at: 3),
                         balance: try row.decode(Int64.self, at: 4), shards: try row.decode(Int.self, at: 5))
    }

    func accounts(ids: [String]) async throws -> [LedgerAccountRow] {
        try await database.queryAll("""
            SELECT \(Self.accountColumns) FROM ledger.accounts a WHERE a.id = ANY(\(ids)) ORDER BY a.id LIMIT \(ids.count)
            """, decode: Self.account(row:))
    }

    func account(id: String) async throws -> LedgerAccountRow? {
        try await database.queryOptional("SELECT \(Self.accountColumns) FROM ledger.accounts a WHERE a.id = \(id)", decode: Self.account(row:))
    }

    /// Drivers' accounts, newest first, `limit + 1` rows after `(created_at, id)`.
    func driverAccounts(after: (Date, String)?, limit: Int) async throws -> [LedgerAccountRow] {
        let keyset: SQL = after.map { "AND (a.created_at, a.id) < (\($0.0), \($0.1))" } ?? ""
        return try await database.queryAll("""
            SELECT \(Self.accountColumns) FROM ledger.accounts a
            WHERE a.id LIKE 'driver:%' \(keyset)
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(limit + 1)
            """, decode: Self.account(row:))
    }

    /// An account's entries, newest first, `limit + 1` rows before entry `before`.
    func entries(ofAccount accountID: String, before: Int64?, limit: Int) async throws -> [AccountEntryRow] {
        try await database.queryAll("""
            SELECT e.id, e.amount, t.id, t.kind, t.driver_id, t.description, t.amount, t.ipt_amount, t.funding, t.related_id,
                   t.currency, t.created_at
            FROM ledger.entries e JOIN ledger.transactions t ON t.id = e.transaction_id
            WHERE e.account_id = \(accountID) AND (\(before)::int8 IS NULL OR e.id < \(before))
            ORDER BY e.id DESC LIMIT \(limit + 1)
            """) { row in
            let transaction = try LedgerTransactionRow(row: row, offset: 2)
            return AccountEntryRow(id: try row.decode(Int64.self, at: 0), amount: try row.decode(Int64.self, at: 1), transaction: transaction)
        }
    }

    /// The sum of an account's entries (what its maintained balance must equal).
    func entriesTotal(ofAccount accountID: String) async throws -> Int64 {
        try await database.queryValue(
            "SELECT coalesce(sum(amount), 0)::int8 FROM ledger.entries WHERE account_id = \(accountID)", as: Int64.self)
    }

    /// The next `limit` drivers' accounts after `after` (by id), each with its maintained
    /// balance and the sum of its entries.
    func driverAccountTotals(after: String?, limit: Int) async throws -> [(id: String, maintained: Int64, fromEntries: Int64)] {
        try await database.queryAll("""
            SELECT a.id,
                   coalesce((SELECT sum(s.balance) FROM ledger.balance_shards s WHERE s.account_id = a.id), 0)::int8,
                   coalesce((SELECT sum(e.amount) FROM ledger.entries e WHERE e.account_id = a.id), 0)::int8
            FROM ledger.accounts a
            WHERE a.id >= 'driver:' AND a.id < 'driver;' AND a.id LIKE 'driver:%' AND a.id > coalesce(\(after)::text, '')
            ORDER BY a.id LIMIT \(limit)
            """) { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1), try $0.decode(Int64.self, at: 2)) }
    }

    /// The next `limit` postings, newest first after `(created_at, id)`, each with how many
    /// entries it has and what they sum to.
    func postingTotals(after: PageRequest.Cursor?, limit: Int) async throws -> [UnbalancedRow] {
        let keyset: SQL = after.map { "WHERE (created_at, id) < (\($0.createdAt), \($0.id))" } ?? ""
        return try await database.queryAll("""
            WITH batch AS (
                SELECT id, created_at FROM ledger.transactions \(keyset)
                ORDER BY created_at DESC, id DESC LIMIT \(limit))
            SELECT b.id, b.created_at, count(e.id)::int8, coalesce(sum(e.amount), 0)::int8
            FROM batch b LEFT JOIN ledger.entries e ON e.transaction_id = b.id
            GROUP BY b.id, b.created_at ORDER BY b.created_at DESC, b.id DESC
            """) { UnbalancedRow(transactionID: try $0.decode(UUID.self, at: 0), createdAt: try $0.decode(Date.self, at: 1),
                                 entries: try $0.decode(Int.self, at: 2), total: try $0.decode(Int64.self, at: 3)) }
    }
}
