import AppKernel
public import Foundation
import Postgres
public import Rating

public enum Product: String, Sendable, CaseIterable, Codable {
    case payg, hourly
}

public enum Usage: String, Sendable, CaseIterable, Codable {
    case foodDelivery = "food_delivery", parcelDelivery = "parcel_delivery", rideHail = "ride_hail"
}

/// An issued quote. Prices are gross (IPT included): `total = premium + ipt`,
/// `ipt = round_half_up(total × 3/28)`.
public struct Quote: Sendable, Equatable {
    public static let validity: TimeInterval = 30 * 60

    public let id: UUID
    public let driverID: UUID
    public let vehicleID: UUID
    public let product: Product
    public let usage: Usage
    public let hours: Int?
    public let startsAt: Date?
    public let currency: String
    public let hourlyRateAmount: Int64
    public let premiumAmount: Int64
    public let iptAmount: Int64
    public let totalAmount: Int64
    public let ratingVersion: Int
    public let underwritingVersion: Int
    public let factors: [AppliedFactor]
    public let validUntil: Date
    public let createdAt: Date
    public let boundAt: Date?

    public var endsAt: Date? {
        guard let startsAt, let hours else { return nil }
        return startsAt.addingTimeInterval(Double(hours) * 3600)
    }

    public func isExpired(at now: Date) -> Bool { now >= validUntil }

    /// `quoted`, `bound` or `expired`, seen at `now` (the caller's clock).
    public func status(at now: Date) -> String {
        if boundAt != nil { return "bound" }
        return isExpired(at: now) ? "expired" : "quoted"
    }

    /// IPT inside a gross amount: 12% of the net premium is 3/28 of the gross, rounded half up once.
    public static func ipt(ofGross total: Int64) -> Int64 { PremiumTax.ipt(ofGross: total) }

    static let columns: SQL = """
        id, driver_id, vehicle_id, product, usage, hours, starts_at, currency, hourly_rate_amount, premium_amount, \
        ipt_amount, total_amount, rating_version, underwriting_version, factors, valid_until, created_at, bound_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverID = try row.decode(UUID.self, at: 1)
        vehicleID = try row.decode(UUID.self, at: 2)
        guard let product = Product(rawValue: try row.decode(String.self, at: 3)),
              let usage = Usage(rawValue: try row.decode(String.self, at: 4))
        else { throw PostgresError(code: .decoding, message: "unknown product or usage") }
        self.product = product
        self.usage = usage
        hours = try row.decode(Int32?.self, at: 5).map(Int.init)
        startsAt = try row.decode(Date?.self, at: 6)
        currency = try row.decode(String.self, at: 7)
        hourlyRateAmount = try row.decode(Int64.self, at: 8)
        premiumAmount = try row.decode(Int64.self, at: 9)
        iptAmount = try row.decode(Int64.self, at: 10)
        totalAmount = try row.decode(Int64.self, at: 11)
        ratingVersion = Int(try row.decode(Int32.self, at: 12))
        underwritingVersion = Int(try row.decode(Int32.self, at: 13))
        factors = try row.decode(PostgresJSON.self, at: 14).decode([AppliedFactor].self)
        validUntil = try row.decode(Date.self, at: 15)
        createdAt = try row.decode(Date.self, at: 16)
        boundAt = try row.decode(Date?.self, at: 17)
    }

    init(id: UUID, driverID: UUID, vehicleID: UUID, product: Product, usage: Usage, hours: Int?, startsAt: Date?,
         price: RatedPrice, underwritingVersion: Int, now: Date) {
        self.id = id
        self.driverID = driverID
        self.vehicleID = vehicleID
        self.product = product
        self.usage = usage
        self.hours = hours
        self.startsAt = startsAt
        currency = "GBP"
        hourlyRateAmount = price.hourlyRateAmount
        // A PAYG quote prices its first (minimum) hour; an hourly quote prices the whole block.
        totalAmount = price.hourlyRateAmount * Int64(hours ?? 1)
        iptAmount = Self.ipt(ofGross: totalAmount)
        premiumAmount = totalAmount - iptAmount
        ratingVersion = price.rateTableVersion
        self.underwritingVersion = underwritingVersion
        factors = price.factors
        validUntil = now.addingTimeInterval(Self.validity)
        createdAt = now
        boundAt = nil
    }
}

/// The quote object of the API, with its status seen at the caller's "now".
struct QuoteDTO: Encodable {
    let id: UUID
    let status: String
    let product: Product
    let usage: Usage
    let vehicleId: UUID
    let hours: Int?
    let startsAt: Date?
    let endsAt: Date?
    let currency: String
    let hourlyRateAmount: Int64
    let premiumAmount: Int64
    let iptAmount: Int64
    let totalAmount: Int64
    let validUntil: Date
    let ratingVersion: Int
    let factors: [AppliedFactor]
    let createdAt: Date

    init(_ quote: Quote, now: Date) {
        id = quote.id
        status = quote.status(at: now)
        product = quote.product
        usage = quote.usage
        vehicleId = quote.vehicleID
        hours = quote.hours
        startsAt = quote.startsAt
        endsAt = quote.endsAt
        currency = quote.currency
        hourlyRateAmount = quote.hourlyRateAmount
        premiumAmount = quote.premiumAmount
        iptAmount = quote.iptAmount
        totalAmount = quote.totalAmount
        validUntil = quote.validUntil
        ratingVersion = quote.ratingVersion
        factors = quote.factors
        createdAt = quote.createdAt
    }
}
