import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `ledger` schema.
struct LedgerStore: Sendable {
    let database: any PostgresQueryable

    /// Inserts the posting and its entries (in account order, so that the balance rows its
    /// trigger updates are always locked in one order: no two postings can deadlock). Returns
    /// false when a posting with this id exists already.
    func insert(_ posting: LedgerPosting) async throws -> Bool {
        let entries = posting.entries.sorted { $0.account.id < $1.account.id }
        let accounts = Array(Set(entries.map(\.account))).sorted { $0.id < $1.id }
        try await database.execute("""
            INSERT INTO ledger.accounts (id, kind, currency)
            SELECT id, kind, currency
            FROM unnest(\(accounts.map(\.id))::text[], \(accounts.map(\.kind))::text[], \(accounts.map(\.currency))::text[]) AS a(id, kind, currency)
            ON CONFLICT (id) DO NOTHING
            """)
        let inserted = try await database.execute("""
            INSERT INTO ledger.transactions (id, kind, driver_id, description, amount, ipt_amount, funding, related_id, created_at)
            VALUES (\(posting.id), \(posting.kind.rawValue), \(posting.driverID), \(posting.description), \(posting.driverAmount),
                    \(posting.iptAmount), \(posting.funding), \(posting.relatedID), \(posting.createdAt))
            ON CONFLICT (id) DO NOTHING
            """)
        guard inserted == 1 else { return false }
        // The processor's reference goes on the clearing leg only (one per posting).
        let references: [String?] = entries.map { $0.account == .pspClearing ? posting.processorReference : nil }
        try await database.execute("""
            INSERT INTO ledger.entries (transaction_id, account_id, amount, external_ref, posted_at)
            SELECT \(posting.id), account_id, amount, external_ref, \(posting.createdAt)
            FROM unnest(\(entries.map(\.account.id))::text[], \(entries.map(\.amount))::int8[], \(references)::text[])
                 WITH ORDINALITY AS e(account_id, amount, external_ref, position)
            ORDER BY position
            """)
        return true
    }

    func balance(of accountID: String) async throws -> Int64 {
        try await database.queryValue(
            "SELECT coalesce(sum(balance), 0)::int8 FROM ledger.balance_shards WHERE account_id = \(accountID)", as: Int64.self)
    }

    func balances(of accountIDs: [String]) async throws -> [String: Int64] {
        let rows = try await database.queryAll("""
            SELECT account_id, sum(balance)::int8 FROM ledger.balance_shards WHERE account_id = ANY(\(accountIDs)) GROUP BY account_id
            """) { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    /// The sum of an account's entries in postings dated before `instant`.
    func balance(of accountID: String, before instant: Date) async throws -> Int64 {
        // Everything ever posted (the ledger check): the entries alone, an index-only sum.
        if instant == .distantFuture {
            return try await database.queryValue(
                "SELECT coalesce(sum(amount), 0)::int8 FROM ledger.entries WHERE account_id = \(accountID)", as: Int64.self)
        }
        return try await database.queryValue("""
            SELECT coalesce(sum(e.amount), 0)::int8 FROM ledger.entries e JOIN ledger.transactions t ON t.id = e.transaction_id
            WHERE e.account_id = \(accountID) AND t.created_at < \(instant)
            """, as: Int64.self)
    }

    func amount(transactionID: UUID, account accountID: String) async throws -> Int64 {
        try await database.queryValue("""
            SELECT coalesce(sum(amount), 0)::int8 FROM ledger.entries WHERE transaction_id = \(transactionID) AND account_id = \(accountID)
            """, as: Int64.self)
    }

    func amount(relatedTo relatedID: UUID, kind: String, account accountID: String) async throws -> Int64 {
        try await database.queryValue("""
            SELECT coalesce(sum(e.amount), 0)::int8 FROM ledger.transactions t JOIN ledger.entries e ON e.transaction_id = t.id
            WHERE t.related_id = \(relatedID) AND t.kind = \(kind) AND e.account_id = \(accountID)
            """, as: Int64.self)
    }

    func lock(_ name: String) async throws {
        _ = try await database.query("SELECT pg_advisory_xact_lock(hashtextextended(\(name), 0))")
    }

    func transaction(id: UUID, driverID: UUID) async throws -> DriverTransaction? {
        try await database.queryOptional("""
            SELECT \(DriverTransaction.columns) FROM ledger.transactions WHERE id = \(id) AND driver_id = \(driverID)
            """, decode: DriverTransaction.init(row:))
    }

    func transactions(driverID: UUID, page: PageRequest) async throws -> [DriverTransaction] {
        try await database.queryAll("""
            SELECT \(DriverTransaction.columns) FROM ledger.transactions WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: DriverTransaction.init(row:))
    }

    func statementLines(driverID: UUID, from: Date, to: Date) async throws -> [StatementLine] {
        let cash = LedgerAccount.driverCash(driverID).id, promo = LedgerAccount.driverPromo(driverID).id
        return try await database.queryAll("""
            SELECT \(DriverTransaction.columns),
                   coalesce((SELECT -sum(e.amount) FROM ledger.entries e WHERE e.transaction_id = t.id AND e.account_id = \(cash)), 0)::int8,
                   coalesce((SELECT -sum(e.amount) FROM ledger.entries e WHERE e.transaction_id = t.id AND e.account_id = \(promo)), 0)::int8
            FROM ledger.transactions t
            WHERE t.driver_id = \(driverID) AND t.created_at >= \(from) AND t.created_at < \(to)
            ORDER BY t.created_at, t.id
            """) { row in
            StatementLine(transaction: try DriverTransaction(row: row), cashAmount: try row.decode(Int64.self, at: 9),
                          promoAmount: try row.decode(Int64.self, at: 10))
        }
    }
}
