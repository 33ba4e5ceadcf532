public import Foundation
import Postgres

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


/// A posting as a statement shows it: the driver-facing line and what it moved on the driver's
/// cash and promotional balances (+ in, − out; both 0 for a card-funded purchase or refund).
public struct StatementLine: Sendable {
    public let transaction: DriverTransaction
    public let cashAmount: Int64
    public let promoAmount: Int64
}
