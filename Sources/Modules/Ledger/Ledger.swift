public import AppKernel
import Cryptography
public import Foundation
public import Postgres

/// The ledger module's public API: balanced postings and the balances derived from them.
public struct Ledger: Sendable {
    public init() {}

    /// A stable UUID from a cause string (SHA-256, shaped as a version-8 UUID).
    public static func transactionID(causedBy cause: String) -> UUID {
        var bytes = Array(Digest.sha256(Array("hourglass.ledger:\(cause)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Posts inside the caller's transaction. Returns false when this posting already exists
    /// (a retry). An unbalanced posting is refused here with `LedgerError.unbalanced`, and the
    /// database refuses one at commit whatever the caller did.
    @discardableResult
    public func post(_ posting: LedgerPosting, on transaction: PostgresConnection) async throws -> Bool {
        let total = posting.entries.reduce(Int64(0)) { $0 + $1.amount }
        guard total == 0, posting.entries.count >= 2 else {
            throw LedgerError.unbalanced(kind: posting.kind.rawValue, entries: posting.entries.count, total: total)
        }
        return try await LedgerStore(database: transaction).insert(posting)
    }

    /// The raw balance (sum of entries, debit positive) of an account.
    public func rawBalance(_ account: LedgerAccount, on database: any PostgresQueryable) async throws -> Int64 {
        try await LedgerStore(database: database).balance(of: account.id)
    }

    /// What we owe the driver: cash and promotional credit (liabilities, so credit positive).
    /// The accounts holding a driver's cash and promotional credit, for reading their balances
    /// through the published view `ledger.account_balances` alongside another module's data;
    /// a driver's balance is the account's balance negated (`driverBalance(ofAccountBalance:)`).
    public func driverBalanceAccounts(_ driverID: UUID) -> (cash: String, promo: String) {
        (LedgerAccount.driverCash(driverID).id, LedgerAccount.driverPromo(driverID).id)
    }

    /// What the driver sees for an account balance read from `ledger.account_balances`: the
    /// accounts are liabilities (credit balances), shown to the driver as positive money.
    public func driverBalance(ofAccountBalance balance: Int64?) -> Int64 { -(balance ?? 0) }

    public func driverBalances(_ driverID: UUID, on database: any PostgresQueryable) async throws -> (cash: Int64, promo: Int64) {
        let ids = [LedgerAccount.driverCash(driverID).id, LedgerAccount.driverPromo(driverID).id]
        let balances = try await LedgerStore(database: database).balances(of: ids)
        return (-(balances[ids[0]] ?? 0), -(balances[ids[1]] ?? 0))
    }

    /// The amount a posting moved on one account (debits positive); 0 when none.
    public func amount(postedBy cause: String, on account: LedgerAccount, on database: any PostgresQueryable) async throws -> Int64 {
        try await LedgerStore(database: database).amount(transactionID: Ledger.transactionID(causedBy: cause), account: account.id)
    }

    /// The amount moved on one account by every posting of `kind` related to `relatedID` (all
    /// the charges of one cover session, say); debits positive.
    public func amount(relatedTo relatedID: UUID, kind: TransactionKind, on account: LedgerAccount,
                       on database: any PostgresQueryable) async throws -> Int64 {
        try await LedgerStore(database: database).amount(relatedTo: relatedID, kind: kind.rawValue, account: account.id)
    }

    /// Serialises every balance-changing decision for one driver until the caller's transaction
    /// ends, so two concurrent spends can never both see the same money.
    public func lockWallet(of driverID: UUID, on transaction: PostgresConnection) async throws {
        try await LedgerStore(database: transaction).lock("wallet:" + driverID.uuidString.lowercased())
    }

    /// One of the driver's postings as they see it in GET /v1/transactions; nil when it is not theirs.
    public func transaction(_ id: UUID, of driverID: UUID, on database: any PostgresQueryable) async throws -> DriverTransaction? {
        try await LedgerStore(database: database).transaction(id: id, driverID: driverID)
    }

    /// One page of the driver's postings, newest first, with the extra row `page.page` looks for.
    public func transactions(of driverID: UUID, page: PageRequest,
                             on database: any PostgresQueryable) async throws -> [DriverTransaction] {
        try await LedgerStore(database: database).transactions(driverID: driverID, page: page)
    }

    /// The driver's postings dated in `[from, to)`, oldest first, each with what it moved on
    /// the driver's cash and promotional accounts (for statements).
    public func statementLines(of driverID: UUID, from: Date, to: Date,
                               on database: any PostgresQueryable) async throws -> [StatementLine] {
        try await LedgerStore(database: database).statementLines(driverID: driverID, from: from, to: to)
    }

    /// The driver's cash and promotional balances from postings dated before `instant`.
    public func driverBalances(_ driverID: UUID, before instant: Date,
                               on database: any PostgresQueryable) async throws -> (cash: Int64, promo: Int64) {
        let store = LedgerStore(database: database)
        let cash = try await store.balance(of: LedgerAccount.driverCash(driverID).id, before: instant)
        let promo = try await store.balance(of: LedgerAccount.driverPromo(driverID).id, before: instant)
        return (-cash, -promo)
    }
}
