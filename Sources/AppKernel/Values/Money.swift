/// An ISO 4217 currency code.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String
    /// Three uppercase ASCII letters, or nil.
    public init?(code: String) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return nil }
        self.code = code
    }
    public static let gbp = Currency(code: "GBP")!
    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let currency = Currency(code: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected an ISO 4217 code"))
        }
        self = currency
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// An amount in integer minor units (pence) and a currency; never floating point (STYLE.md C7).
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func pence(_ amount: Int64) -> Money { Money(minorUnits: amount, currency: .gbp) }

    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "cannot add \(lhs.currency) to \(rhs.currency)")
        return Money(minorUnits: lhs.minorUnits + rhs.minorUnits, currency: lhs.currency)
    }

    public static func - (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "cannot subtract \(rhs.currency) from \(lhs.currency)")
        return Money(minorUnits: lhs.minorUnits - rhs.minorUnits, currency: lhs.currency)
    }

    public static prefix func - (value: Money) -> Money { Money(minorUnits: -value.minorUnits, currency: value.currency) }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "cannot compare \(lhs.currency) with \(rhs.currency)")
        return lhs.minorUnits < rhs.minorUnits
    }

    /// Splits into `parts` amounts that differ by at most one minor unit and sum exactly to
    /// `self` (largest remainder: the first parts take the extra units).
    public func allocated(into parts: Int) -> [Money] {
        precondition(parts > 0, "cannot allocate into \(parts) parts")
        let (quotient, remainder) = minorUnits.quotientAndRemainder(dividingBy: Int64(parts))
        return (0..<parts).map { index in
            let extra: Int64 = Int64(index) < abs(remainder) ? (remainder < 0 ? -1 : 1) : 0
            return Money(minorUnits: quotient + extra, currency: currency)
        }
    }

    /// `round_half_up(minorUnits × numerator / denominator)` for non-negative amounts, exact in
    /// integers (PRODUCT.md's one rounding rule: halves round away from zero).
    public func multiplied(by numerator: Int64, dividedBy denominator: Int64) -> Money {
        Money(minorUnits: Self.roundHalfUp(minorUnits * numerator, denominator), currency: currency)
    }

    /// `round_half_up(value / divisor)`, halves away from zero; `divisor` must be positive.
    public static func roundHalfUp(_ value: Int64, _ divisor: Int64) -> Int64 {
        precondition(divisor > 0, "divisor must be positive")
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if abs(remainder) * 2 >= divisor { return quotient + (value < 0 ? -1 : 1) }
        return quotient
    }

    public var description: String {
        let sign = minorUnits < 0 ? "-" : ""
        let absolute = minorUnits.magnitude
        let fraction = absolute % 100
        return "\(sign)\(absolute / 100).\(fraction < 10 ? "0" : "")\(fraction) \(currency.code)"
    }
}
