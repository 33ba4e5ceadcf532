import Foundation

/// The facts a price depends on.
public struct RatingFacts: Sendable, Equatable {
    public let vehicleType: String
    public let age: Int
    public let licenceYears: Int
    public let postcodeDistrict: String
    public let usage: String
    public let declaredClaims: Int

    public init(vehicleType: String, age: Int, licenceYears: Int, postcodeDistrict: String, usage: String, declaredClaims: Int) {
        self.vehicleType = vehicleType
        self.age = age
        self.licenceYears = licenceYears
        self.postcodeDistrict = postcodeDistrict
        self.usage = usage
        self.declaredClaims = declaredClaims
    }
}

/// One factor applied to a price, as recorded on the quote.
public struct AppliedFactor: Sendable, Equatable, Codable {
    /// `base_rate`, `age`, `licence_years`, `area_band`, `usage` or `claims`.
    public let name: String
    /// The band that matched, e.g. `25-29`, or the base rate's vehicle type.
    public let band: String
    /// The multiplier in basis points (10000 = ×1.00); for `base_rate`, the rate in pence.
    public let value: Int64
}

/// A priced hourly rate with everything that produced it.
public struct RatedPrice: Sendable, Equatable {
    public let rateTableVersion: Int
    /// Gross pence per hour (IPT included).
    public let hourlyRateAmount: Int64
    public let factors: [AppliedFactor]
}

/// Why a price cannot be computed (the rate table lacks a band); a configuration error.
public struct RatingError: Error, CustomStringConvertible {
    public let description: String
}

/// One version of the rate tables, loaded whole (a few dozen rows).
struct RateTable: Sendable {
    struct Band: Sendable {
        let band: String
        let lower: Int?
        let upper: Int?
        let multiplierBP: Int64
    }

    let version: Int
    let baseRates: [String: Int64]
    let factors: [String: [Band]]
    /// Postcode prefix → area band.
    let areaBands: [String: String]

    /// The one rounding rule: multiply the base rate by every factor exactly (128-bit integers,
    /// basis points), then round half up to whole pence once. A rate never falls below 1p.
    func price(_ facts: RatingFacts) throws -> RatedPrice {
        guard let base = baseRates[facts.vehicleType] else {
            throw RatingError(description: "rate table \(version) has no base rate for \(facts.vehicleType)")
        }
        let area = areaBand(forDistrict: facts.postcodeDistrict)
        let applied = [
            try numeric("age", facts.age),
            try numeric("licence_years", facts.licenceYears),
            try categorical("area_band", area),
            try categorical("usage", facts.usage),
            try numeric("claims", facts.declaredClaims),
        ]
        var numerator = Int128(base)
        var denominator = Int128(1)
        for factor in applied {
            numerator *= Int128(factor.value)
            denominator *= 10_000
        }
        let rate = max(1, Int64((numerator * 2 + denominator) / (denominator * 2)))
        return RatedPrice(rateTableVersion: version, hourlyRateAmount: rate,
                          factors: [AppliedFactor(name: "base_rate", band: facts.vehicleType, value: base)] + applied)
    }

    /// The band of a postcode district: the district itself (`E17`), else its parent district
    /// for a sub-district (`SW1A` → `SW1`), else its area (`SW19` → `SW`), else band C.
    /// Plain string prefixes would be wrong: `SW19` is not part of `SW1`.
    func areaBand(forDistrict district: String) -> String {
        if let band = areaBands[district] { return band }
        if let last = district.last, last.isLetter, district.dropLast().last?.isNumber == true,
           let band = areaBands[String(district.dropLast())] {
            return band
        }
        let area = String(district.prefix { $0.isLetter })
        return areaBands[area] ?? "C"
    }

    private func numeric(_ name: String, _ value: Int) throws -> AppliedFactor {
        guard let band = factors[name]?.first(where: { ($0.lower ?? .min) <= value && value <= ($0.upper ?? .max) }) else {
            throw RatingError(description: "rate table \(version) has no \(name) band for \(value)")
        }
        return AppliedFactor(name: name, band: band.band, value: band.multiplierBP)
    }

    private func categorical(_ name: String, _ key: String) throws -> AppliedFactor {
        guard let band = factors[name]?.first(where: { $0.band == key }) else {
            throw RatingError(description: "rate table \(version) has no \(name) band \(key)")
        }
        return AppliedFactor(name: name, band: band.band, value: band.multiplierBP)
    }
}
