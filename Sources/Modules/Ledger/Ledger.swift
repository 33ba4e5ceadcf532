public import AppKernel
import Cryptography
public import Foundation
public import Postgres

/// A ledger account. Drivers' accounts are created on first use.
public enum LedgerAccount: Sendable, Hashable {
    case driverCash(UUID), driverPromo(UUID), pspClearing, premiumIncome, iptPayable, promoFunding

    public var id: String {
        switch self {
        case .driverCash(let driver): "driver:\(driver.uuidString.lowercased()):cash"
        case .driverPromo(let driver): "driver:\(driver.uuidString.lowercased()):promo"
        case .pspClearing: "psp_clearing"
        case .premiumIncome: "premium_income"
        case .iptPayable: "ipt_payable"
        case .promoFunding: "promo_funding"
        }
    }

    var kind: String {
        switch self {
        case .driverCash, .driverPromo, .iptPayable: "liability"
        case .pspClearing: "asset"
        case .premiumIncome: "income"
        case .promoFunding: "expense"
        }
    }
}

/// What a driver sees of a posting in GET /v1/transactions.
public enum TransactionKind: String, Sendable, Codable {
    case topUp = "top_up", sessionCharge = "session_charge", blockPurchase = "block_purchase", refund, fee, promoCredit = "promo_credit"
}

/// A balanced set of entries (positive = debit, negative = credit) describing one money movement.
public struct LedgerPosting: Sendable {
    public let id: UUID
    public let kind: TransactionKind
    public let driverID: UUID?
    public let description: String
    /// Effect on the driver's balance (+ in, − out), or the card amount for card-funded items.
    public let driverAmount: Int64
    public let iptAmount: Int64
    public let funding: String
    public let relatedID: UUID?
    public let entries: [(account: LedgerAccount, amount: Int64)]
    public let createdAt: Date

    /// `causedBy` names the event ("payment:<id>:captured"); the id derives from it so that
    /// posting the same event twice is a no-op.
    public init(causedBy: String, kind: TransactionKind, driverID: UUID?, description: String, driverAmount: Int64,
                iptAmount: Int64 = 0, funding: String, relatedID: UUID?, entries: [(account: LedgerAccount, amount: Int64)],
                createdAt: Date) {
        id = Ledger.transactionID(causedBy: causedBy)
        self.kind = kind
        self.driverID = driverID
        self.description = description
        self.driverAmount = driverAmount
        self.iptAmount = iptAmount
        self.funding = funding
        self.relatedID = relatedID
        self.entries = entries.filter { $0.amount != 0 }
        self.createdAt = createdAt
    }
}

/// The ledger module's public API.
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
    /// (a retry). The database rejects an unbalanced posting at commit.
    @discardableResult
    public func post(_ posting: LedgerPosting, on transaction: PostgresConnection) async throws -> Bool {
        precondition(posting.entries.reduce(0) { $0 + $1.amount } == 0, "unbalanced ledger posting \(posting.kind)")
        for account in Set(posting.entries.map(\.account)) {
            try await transaction.execute("""
                INSERT INTO ledger.accounts (id, kind) VALUES (\(account.id), \(account.kind)) ON CONFLICT (id) DO NOTHING
                """)
        }
        let inserted = try await transaction.execute("""
            INSERT INTO ledger.transactions (id, kind, driver_id, description, amount, ipt_amount, funding, related_id, created_at)
            VALUES (\(posting.id), \(posting.kind.rawValue), \(posting.driverID), \(posting.description), \(posting.driverAmount),
                    \(posting.iptAmount), \(posting.funding), \(posting.relatedID), \(posting.createdAt))
            ON CONFLICT (id) DO NOTHING
            """)
        guard inserted == 1 else { return false }
        for entry in posting.entries {
            try await transaction.execute("""
                INSERT INTO ledger.entries (transaction_id, account_id, amount) VALUES (\(posting.id), \(entry.account.id), \(entry.amount))
                """)
        }
        return true
    }

    /// The raw balance (sum of entries, debit positive) of an account.
    public func rawBalance(_ account: LedgerAccount, on database: any PostgresQueryable) async throws -> Int64 {
        try await database.queryOptional("SELECT balance FROM ledger.balances WHERE account_id = \(account.id)") {
            try $0.decode(Int64.self, at: 0)
        } ?? 0
    }

    /// What we owe the driver: cash and promotional credit (liabilities, so credit positive).
    public func driverBalances(_ driverID: UUID, on database: any PostgresQueryable) async throws -> (cash: Int64, promo: Int64) {
        let ids = [LedgerAccount.driverCash(driverID).id, LedgerAccount.driverPromo(driverID).id]
        let rows = try await database.queryAll("SELECT account_id, balance FROM ledger.balances WHERE account_id = ANY(\(ids))") {
            (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1))
        }
        let balances = Dictionary(uniqueKeysWithValues: rows)
        return (-(balances[ids[0]] ?? 0), -(balances[ids[1]] ?? 0))
    }

    /// The amount a posting moved on one account (debits positive); 0 when none.
    public func amount(postedBy cause: String, on account: LedgerAccount, on database: any PostgresQueryable) async throws -> Int64 {
        try await database.queryValue("""
            SELECT coalesce(sum(amount), 0)::int8 FROM ledger.entries
            WHERE transaction_id = \(Ledger.transactionID(causedBy: cause)) AND account_id = \(account.id)
            """, as: Int64.self)
    }

    /// Serialises every balance-changing decision for one driver until the caller's transaction
    /// ends, so two concurrent spends can never both see the same money.
    public func lockWallet(of driverID: UUID, on transaction: PostgresConnection) async throws {
        _ = try await transaction.query("SELECT pg_advisory_xact_lock(hashtextextended(\("wallet:" + driverID.uuidString.lowercased()), 0))")
    }
}

/// A driver-facing line of money history (GET /v1/transactions).
public struct DriverTransaction: Sendable, Encodable {
    public let id: UUID
    public let type: TransactionKind
    /// + into the balance, − out of it; card-funded lines carry the card amount.
    public let amount: Int64
    public let iptAmount: Int64
    public let currency: String
    public let funding: String
    public let description: String
    public let relatedId: UUID?
    public let createdAt: Date

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(amount, forKey: .amount)
        try container.encode(iptAmount, forKey: .iptAmount)
        try container.encode(currency, forKey: .currency)
        try container.encode(funding, forKey: .funding)
        try container.encode(description, forKey: .description)
        try container.encode(relatedId, forKey: .relatedId)
        try container.encode(createdAt, forKey: .createdAt)
    }

    enum CodingKeys: String, CodingKey { case id, type, amount, iptAmount, currency, funding, description, relatedId, createdAt }

    static let columns: SQL = "id, kind, amount, ipt_amount, currency, funding, description, related_id, created_at"

    init(row: PostgresRow) throws {
        guard let kind = TransactionKind(rawValue: try row.decode(String.self, at: 1)) else {
            throw PostgresError(code: .decoding, message: "unknown transaction kind")
        }
        id = try row.decode(UUID.self, at: 0)
        type = kind
        amount = try row.decode(Int64.self, at: 2)
        iptAmount = try row.decode(Int64.self, at: 3)
        currency = try row.decode(String.self, at: 4)
        funding = try row.decode(String.self, at: 5)
        description = try row.decode(String.self, at: 6)
        relatedId = try row.decode(UUID?.self, at: 7)
        createdAt = try row.decode(Date.self, at: 8)
    }
}

extension Ledger {
    /// One page of the driver's postings, newest first, with the extra row `page.page` looks for.
    public func transactions(of driverID: UUID, page: PageRequest,
                             on database: any PostgresQueryable) async throws -> [DriverTransaction] {
        try await database.queryAll("""
            SELECT \(DriverTransaction.columns) FROM ledger.transactions WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: DriverTransaction.init(row:))
    }
}

extension Ledger {
    /// The driver's cash balance (what we owe them) from postings dated before `instant`.
    public func cashBalance(of driverID: UUID, before instant: Date, on database: any PostgresQueryable) async throws -> Int64 {
        -(try await database.queryValue("""
            SELECT coalesce(sum(e.amount), 0)::int8 FROM ledger.entries e JOIN ledger.transactions t ON t.id = e.transaction_id
            WHERE e.account_id = \(LedgerAccount.driverCash(driverID).id) AND t.created_at < \(instant)
            """, as: Int64.self))
    }

    /// The driver's postings dated in `[from, to)`, oldest first.
    public func transactions(of driverID: UUID, from: Date, to: Date, on database: any PostgresQueryable) async throws -> [DriverTransaction] {
        try await database.queryAll("""
            SELECT \(DriverTransaction.columns) FROM ledger.transactions WHERE driver_id = \(driverID) AND created_at >= \(from) AND created_at < \(to)
            ORDER BY created_at, id
            """, decode: DriverTransaction.init(row:))
    }
}
