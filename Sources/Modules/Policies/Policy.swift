public import Foundation
import Cryptography
import Payments
import Refunds
import Postgres

public enum PolicyStatus: String, Sendable, CaseIterable, Codable {
    case pendingPayment = "pending_payment", scheduled, active, paused, cancelled, expired, deactivated
}

/// A bound policy.
public struct Policy: Sendable, Equatable {
    public let id: UUID
    public let number: String
    public let driverId: UUID
    public let vehicleId: UUID
    public let quoteId: UUID
    public let product: String
    public let usage: String
    public let status: PolicyStatus
    public let startsAt: Date
    public let endsAt: Date?
    public let hourlyRateAmount: Int64
    public let totalAmount: Int64
    public let currency: String
    public let createdAt: Date
    public let cancelledAt: Date?
    /// How an hourly block was paid (`card` or `wallet`); nil for PAYG.
    public let funding: String?
    public let paymentID: UUID?
    public let refundAmount: Int64
    /// When an hourly block's payment succeeded; nil until then, and for PAYG.
    public let paidAt: Date?
    /// When ops deactivated this PAYG policy (`deactivated`); nil otherwise, and for the
    /// duplicates migration 0024 deactivated, which never counted.
    public let deactivatedAt: Date?

    static let columns: SQL = """
        id, number, driver_id, vehicle_id, quote_id, product, usage, status, starts_at, ends_at, hourly_rate_amount, \
        total_amount, currency, created_at, cancelled_at, funding, payment_id, refund_amount, paid_at, deactivated_at
        """

    public var isPAYG: Bool { product == "payg" }

    /// When it stopped covering for good: its cancellation or its deactivation.
    public var endedAt: Date? { cancelledAt ?? deactivatedAt }

    /// The instants this policy can cover at all, `[start, end)`: a PAYG policy from binding
    /// until it is cancelled (and then only during its sessions); an hourly block from its
    /// start (never before it was paid) to its end or cancellation. Nil: it never covered
    /// anything (a block never paid, or cancelled before it began).
    public var coverWindow: Range<Date>? {
        if isPAYG {
            guard status != .deactivated || endedAt != nil else { return nil }
            let end = endedAt ?? .distantFuture
            return startsAt < end ? startsAt..<end : nil
        }
        guard let paidAt, let endsAt else { return nil }
        let start = max(startsAt, paidAt)
        let end = min(endsAt, cancelledAt ?? endsAt)
        return start < end ? start..<end : nil
    }

    /// The status seen at `now` (the caller's clock): a paid block is `scheduled` until it
    /// starts, `active` while it runs and `expired` after, without anything having to run.
    /// A PAYG policy shows `paused` while cover is paused for money (PRODUCT.md: from below £0
    /// until a top-up brings the balance back to at least £10).
    /// A block still waiting for its payment when its quoted period is over has expired unpaid.
    public func status(at now: Date, coverPaused: Bool = false) -> PolicyStatus {
        if product == "payg", status == .active, coverPaused { return .paused }
        if product == "hourly", status == .pendingPayment, let endsAt, now >= endsAt { return .expired }
        guard product == "hourly", status == .scheduled || status == .active, let endsAt else { return status }
        if now >= endsAt { return .expired }
        return now >= startsAt ? .active : .scheduled
    }

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        number = try row.decode(String.self, at: 1)
        driverId = try row.decode(UUID.self, at: 2)
        vehicleId = try row.decode(UUID.self, at: 3)
        quoteId = try row.decode(UUID.self, at: 4)
        product = try row.decode(String.self, at: 5)
        usage = try row.decode(String.self, at: 6)
        guard let status = PolicyStatus(rawValue: try row.decode(String.self, at: 7)) else {
            throw PostgresError(code: .decoding, message: "unknown policy status")
        }
        self.status = status
        startsAt = try row.decode(Date.self, at: 8)
        endsAt = try row.decode(Date?.self, at: 9)
        hourlyRateAmount = try row.decode(Int64.self, at: 10)
        totalAmount = try row.decode(Int64.self, at: 11)
        currency = try row.decode(String.self, at: 12)
        createdAt = try row.decode(Date.self, at: 13)
        cancelledAt = try row.decode(Date?.self, at: 14)
        funding = try row.decode(String?.self, at: 15)
        paymentID = try row.decode(UUID?.self, at: 16)
        refundAmount = try row.decode(Int64.self, at: 17)
        paidAt = try row.decode(Date?.self, at: 18)
        deactivatedAt = try row.decode(Date?.self, at: 19)
    }

    init(id: UUID, number: String, driverId: UUID, vehicleId: UUID, quoteId: UUID, product: String, usage: String,
         status: PolicyStatus, startsAt: Date, endsAt: Date?, hourlyRateAmount: Int64, totalAmount: Int64, createdAt: Date,
         funding: String? = nil, paidAt: Date? = nil) {
        self.id = id
        self.number = number
        self.driverId = driverId
        self.vehicleId = vehicleId
        self.quoteId = quoteId
        self.product = product
        self.usage = usage
        self.status = status
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.hourlyRateAmount = hourlyRateAmount
        self.totalAmount = totalAmount
        currency = "GBP"
        self.createdAt = createdAt
        cancelledAt = nil
        self.funding = funding
        paymentID = nil
        refundAmount = 0
        self.paidAt = paidAt
        deactivatedAt = nil
    }

    /// `HG-7K3M-9Q2P`: 40 random bits in Crockford base32 (no I, L, O, U), easy to read aloud.
    static func newNumber() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let bytes = Digest.randomBytes(5)
        var bits = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var characters: [Character] = []
        for _ in 0..<8 {
            characters.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return "HG-" + String(characters[0..<4]) + "-" + String(characters[4..<8])
    }
}

/// The policy object of the API, its status seen at the caller's "now".
struct PolicyDTO: Encodable {
    let id: UUID
    let number: String
    let status: PolicyStatus
    let product: String
    let usage: String
    let driverId: UUID
    let vehicleId: UUID
    let quoteId: UUID
    let startsAt: Date
    let endsAt: Date?
    let hourlyRateAmount: Int64
    let totalAmount: Int64
    let currency: String
    let funding: String?
    let refundAmount: Int64
    /// `card` or `wallet`, and `pending` until the processor confirms a card refund.
    let refund: RefundDTO?
    let createdAt: Date
    let cancelledAt: Date?
    /// When a block was paid for (its cover starts then at the earliest); null for PAYG.
    let paidAt: Date?
    let payment: PaymentDTO?

    struct RefundDTO: Encodable {
        let amount: Int64
        let destination: String
        let state: String
    }

    init(_ policy: Policy, now: Date, coverPaused: Bool = false, payment: Payment? = nil, refund: Refund? = nil) {
        id = policy.id
        number = policy.number
        status = policy.status(at: now, coverPaused: coverPaused)
        product = policy.product
        usage = policy.usage
        driverId = policy.driverId
        vehicleId = policy.vehicleId
        quoteId = policy.quoteId
        startsAt = policy.startsAt
        endsAt = policy.endsAt
        hourlyRateAmount = policy.hourlyRateAmount
        totalAmount = policy.totalAmount
        currency = policy.currency
        funding = policy.funding
        refundAmount = policy.refundAmount
        self.refund = refund.map { RefundDTO(amount: $0.amount, destination: $0.destination, state: $0.state) }
        createdAt = policy.createdAt
        cancelledAt = policy.cancelledAt
        paidAt = policy.paidAt
        self.payment = payment.map(PaymentDTO.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, number, status, product, usage, driverId, vehicleId, quoteId, startsAt, endsAt, hourlyRateAmount, totalAmount,
             currency, funding, refundAmount, refund, createdAt, cancelledAt, paidAt, payment
    }

    /// Every member of the documented shape is present; what does not apply is `null`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(number, forKey: .number)
        try container.encode(status, forKey: .status)
        try container.encode(product, forKey: .product)
        try container.encode(usage, forKey: .usage)
        try container.encode(driverId, forKey: .driverId)
        try container.encode(vehicleId, forKey: .vehicleId)
        try container.encode(quoteId, forKey: .quoteId)
        try container.encode(startsAt, forKey: .startsAt)
        try container.encode(endsAt, forKey: .endsAt)
        try container.encode(hourlyRateAmount, forKey: .hourlyRateAmount)
        try container.encode(totalAmount, forKey: .totalAmount)
        try container.encode(currency, forKey: .currency)
        try container.encode(funding, forKey: .funding)
        try container.encode(refundAmount, forKey: .refundAmount)
        try container.encode(refund, forKey: .refund)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(cancelledAt, forKey: .cancelledAt)
        try container.encode(paidAt, forKey: .paidAt)
        try container.encode(payment, forKey: .payment)
    }
}
