public import Foundation
import Postgres

public enum PaymentPurpose: String, Sendable, Codable {
    case topUp = "top_up", autoTopUp = "auto_top_up", blockPurchase = "block_purchase"
    /// Money into the wallet (asked for by the driver or automatic), rather than cover bought by card.
    public var isTopUp: Bool { self == .topUp || self == .autoTopUp }
}

public enum PaymentStatus: String, Sendable, Codable {
    case processing, requiresAction = "requires_action", succeeded, failed
    public var isFinal: Bool { self == .succeeded || self == .failed }
}

/// A card payment and where it stands at the card processor.
public struct Payment: Sendable, Equatable {
    public let id: UUID
    public let driverID: UUID
    public let purpose: PaymentPurpose
    public let amount: Int64
    public let currency: String
    public let paymentMethodID: UUID
    public let status: PaymentStatus
    public let pspIntentID: String?
    /// The processor's charge (`ch_…`) once the payment succeeded: what the capture's clearing
    /// leg records for reconciliation. Nil when the processor did not say (reconciliation then
    /// finds the leg by the ledger transaction id in the intent's metadata).
    public let pspChargeID: String?
    public let failureCode: String?
    public let redirectURL: String?
    public let relatedID: UUID?
    public let createdAt: Date
    /// When the processor's latest answer was recorded, on the driver's clock: for a final
    /// payment, the instant it settled (what its ledger posting and any cover start from).
    public let updatedAt: Date

    static let columns: SQL = """
        id, driver_id, purpose, amount, currency, payment_method_id, status, psp_intent_id, failure_code, redirect_url, \
        related_id, created_at, updated_at, psp_charge_id
        """

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverID = try row.decode(UUID.self, at: 1)
        guard let purpose = PaymentPurpose(rawValue: try row.decode(String.self, at: 2)),
              let status = PaymentStatus(rawValue: try row.decode(String.self, at: 6))
        else { throw PostgresError(code: .decoding, message: "unknown payment purpose or status") }
        self.purpose = purpose
        amount = try row.decode(Int64.self, at: 3)
        currency = try row.decode(String.self, at: 4)
        paymentMethodID = try row.decode(UUID.self, at: 5)
        self.status = status
        pspIntentID = try row.decode(String?.self, at: 7)
        failureCode = try row.decode(String?.self, at: 8)
        redirectURL = try row.decode(String?.self, at: 9)
        relatedID = try row.decode(UUID?.self, at: 10)
        createdAt = try row.decode(Date.self, at: 11)
        updatedAt = try row.decode(Date.self, at: 12)
        pspChargeID = try row.decode(String?.self, at: 13)
    }
}

/// The payment object of the API.
public struct PaymentDTO: Encodable, Sendable {
    struct NextAction: Encodable, Sendable {
        let type = "redirect"
        let redirectUrl: String
    }
    let id: UUID
    let amount: Int64
    let currency: String
    let status: PaymentStatus
    let purpose: PaymentPurpose
    let failureCode: String?
    let nextAction: NextAction?
    let createdAt: Date

    public init(_ payment: Payment) {
        id = payment.id
        amount = payment.amount
        currency = payment.currency
        status = payment.status
        purpose = payment.purpose
        failureCode = payment.failureCode
        nextAction = payment.status == .requiresAction ? payment.redirectURL.map { NextAction(redirectUrl: $0) } : nil
        createdAt = payment.createdAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(amount, forKey: .amount)
        try container.encode(currency, forKey: .currency)
        try container.encode(status, forKey: .status)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(failureCode, forKey: .failureCode)  // explicit nulls: clients check them
        try container.encode(nextAction, forKey: .nextAction)
        try container.encode(createdAt, forKey: .createdAt)
    }

    enum CodingKeys: String, CodingKey { case id, amount, currency, status, purpose, failureCode, nextAction, createdAt }
}

/// A saved card.
public struct PaymentMethod: Sendable, Equatable, Encodable {
    public let id: UUID
    public let brand: String
    public let last4: String
    public let isDefault: Bool
    public let createdAt: Date
    let pspID: String

    enum CodingKeys: String, CodingKey { case id, brand, last4, isDefault, createdAt }

    static let columns: SQL = "id, brand, last4, is_default, created_at, psp_id"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        brand = try row.decode(String.self, at: 1)
        last4 = try row.decode(String.self, at: 2)
        isDefault = try row.decode(Bool.self, at: 3)
        createdAt = try row.decode(Date.self, at: 4)
        pspID = try row.decode(String.self, at: 5)
    }
}
