import AdminUI
import AppKernel
import Foundation
import Vehicles

/// Everything one rate table holds: what a draft edits and a publication copies into a new
/// version (`rating.publish_draft`). Stored as a draft's JSON with these keys.
struct RateTableContents: Sendable, Equatable, Codable {
    struct Factor: Sendable, Equatable, Codable {
        let factor: String
        let band: String
        let lower: Int?
        let upper: Int?
        let multiplierBP: Int64

        enum CodingKeys: String, CodingKey {
            case factor, band, lower, upper
            case multiplierBP = "multiplier_bp"
        }
    }

    var baseRates: [String: Int64]
    var factors: [Factor]
    var areaBands: [String: String]

    enum CodingKeys: String, CodingKey {
        case baseRates = "base_rates", factors, areaBands = "area_bands"
    }

    /// The factors and whether each is a range of whole numbers (age) or a set of names (usage).
    static let factorNames = ["age", "licence_years", "area_band", "usage", "claims"]
    static let numericFactors: Set<String> = ["age", "licence_years", "claims"]
    /// Every vehicle type needs a base rate (a quote for a type without one could not be priced).
    static var vehicleTypes: [String] { VehicleType.allCases.map(\.rawValue) }
    /// A base rate stays below £100 an hour; a multiplier between ×0.0001 and ×10 (the table's CHECK).
    static let maxBaseRate: Int64 = 10_000
    static let multiplierRange: ClosedRange<Int64> = 1...100_000

    init(baseRates: [String: Int64], factors: [Factor], areaBands: [String: String]) {
        self.baseRates = baseRates
        self.factors = factors
        self.areaBands = areaBands
    }

    init(_ contents: RatingStore.Contents) {
        baseRates = Dictionary(contents.baseRates.map { ($0.vehicleType, $0.amount) }, uniquingKeysWith: { first, _ in first })
        factors = contents.factors.map { Factor(factor: $0.factor, band: $0.band, lower: $0.lower, upper: $0.upper, multiplierBP: $0.multiplierBP) }
        areaBands = Dictionary(contents.areaBands.map { ($0.prefix, $0.band) }, uniquingKeysWith: { first, _ in first })
    }

    /// The table pricing runs on (the same `RateTable.price` every quote uses).
    func table(version: Int) -> RateTable {
        RateTable(version: version, baseRates: baseRates,
                  factors: Dictionary(grouping: factors, by: \.factor).mapValues { rows in
                      rows.sorted { ($0.lower ?? .min, $0.band) < ($1.lower ?? .min, $1.band) }
                          .map { RateTable.Band(band: $0.band, lower: $0.lower, upper: $0.upper, multiplierBP: $0.multiplierBP) }
                  },
                  areaBands: areaBands)
    }

    /// The admin's shape (for its tables and its diff), under a version header.
    func storeContents(_ header: RatingStore.VersionRow) -> RatingStore.Contents {
        RatingStore.Contents(
            version: header,
            baseRates: baseRates.map { (vehicleType: $0.key, amount: $0.value) }.sorted { ($0.amount, $0.vehicleType) < ($1.amount, $1.vehicleType) },
            factors: factors.map { RatingStore.FactorRow(factor: $0.factor, band: $0.band, lower: $0.lower, upper: $0.upper, multiplierBP: $0.multiplierBP) }
                .sorted { ($0.factor, $0.lower ?? .max, $0.band) < ($1.factor, $1.lower ?? .max, $1.band) },
            areaBands: areaBands.map { (prefix: $0.key, band: $0.value) }.sorted { ($0.band, $0.prefix) > ($1.band, $1.prefix) })
    }

    // MARK: - Checks

    /// Everything wrong with this table, in words (empty: it can be saved and published). A
    /// draft must price everything `published` prices: every vehicle type, every age, licence
    /// and claims value its bands cover, every usage and area band it names.
    func problems(comparedWith published: RateTableContents?) -> [String] {
        var problems: [String] = []
        for type in Self.vehicleTypes {
            guard let rate = baseRates[type] else { problems.append("Base rates: \(type.replacingOccurrences(of: "_", with: " ")) has no rate."); continue }
            if !(1...Self.maxBaseRate).contains(rate) { problems.append("Base rates: \(type.replacingOccurrences(of: "_", with: " ")) must be between £0.01 and £100.00 an hour.") }
        }
        for type in baseRates.keys.sorted() where !Self.vehicleTypes.contains(type) {
            problems.append("Base rates: \(type) is not a vehicle type we cover.")
        }
        for name in Self.factorNames {
            let rows = factors.filter { $0.factor == name }
            let title = RateTableContents.title(name)
            if rows.isEmpty { problems.append("\(title): no bands.") }
            var seen: Set<String> = []
            for row in rows {
                if !seen.insert(row.band).inserted { problems.append("\(title): band \(row.band) appears twice.") }
                if !Self.multiplierRange.contains(row.multiplierBP) { problems.append("\(title): band \(row.band)'s multiplier must be between ×0.0001 and ×10.") }
                if row.band.isEmpty || row.band.count > 30 { problems.append("\(title): a band name has 1 to 30 characters.") }
            }
            if Self.numericFactors.contains(name) {
                for row in rows {
                    guard let lower = row.lower, let upper = row.upper else { problems.append("\(title): band \(row.band) needs a lower and an upper bound."); continue }
                    if lower < 0 || upper > 1000 || lower > upper { problems.append("\(title): band \(row.band) must run from a lower bound up to an upper bound, 0 to 1000.") }
                }
                let ranges = rows.compactMap { row -> (band: String, range: ClosedRange<Int>)? in
                    guard let lower = row.lower, let upper = row.upper, lower <= upper else { return nil }
                    return (row.band, lower...upper)
                }.sorted { $0.range.lowerBound < $1.range.lowerBound }
                for (first, second) in zip(ranges, ranges.dropFirst()) where first.range.overlaps(second.range) {
                    problems.append("\(title): bands \(first.band) and \(second.band) overlap.")
                }
                if let published {
                    let covered = published.factors.filter { $0.factor == name }.compactMap { row -> ClosedRange<Int>? in
                        guard let lower = row.lower, let upper = row.upper, lower <= upper else { return nil }
                        return lower...upper
                    }
                    let missing = covered.flatMap { range in range.filter { value in !ranges.contains { $0.range.contains(value) } } }
                    if let first = missing.first {
                        problems.append("\(title): \(Self.describe(missing, from: first)) priced today but not by this draft.")
                    }
                }
            } else {
                for row in rows where row.lower != nil || row.upper != nil {
                    problems.append("\(title): band \(row.band) is a name, without bounds.")
                }
                let names = Set(rows.map(\.band))
                for band in Set(published?.factors.filter { $0.factor == name }.map(\.band) ?? []).subtracting(names).sorted() {
                    problems.append("\(title): \(band.replacingOccurrences(of: "_", with: " ")) is priced today but has no multiplier in this draft.")
                }
                if name == "area_band" {
                    for band in Set(areaBands.values).union(["C"]).subtracting(names).sorted() {
                        problems.append("Area band: band \(band) has postcodes (or is the default, C) but no multiplier.")
                    }
                }
            }
        }
        for (prefix, band) in areaBands.sorted(by: { $0.key < $1.key }) {
            if prefix.range(of: "^[A-Z]{1,2}([0-9][0-9A-Z]?)?$", options: .regularExpression) == nil {
                problems.append("Area bands: \(prefix) is not a postcode area (E) or district (E1, SW1A).")
            }
            if band.range(of: "^[A-Z]{1,3}$", options: .regularExpression) == nil {
                problems.append("Area bands: \(prefix)'s band must be 1 to 3 capital letters.")
            }
        }
        return problems
    }

    /// "ages 17 and 18 are" for the values a draft leaves out (the first few).
    static func describe(_ values: [Int], from first: Int) -> String {
        let shown = values.prefix(5).map(String.init)
        let more = values.count > 5 ? " and \(values.count - 5) more" : ""
        return (values.count == 1 ? "\(first) is" : "\(shown.joined(separator: ", "))\(more) are")
    }

    static func title(_ name: String) -> String {
        switch name {
        case "age": "Age"
        case "licence_years": "Licence years"
        case "area_band": "Area band"
        case "usage": "Usage"
        case "claims": "Declared claims"
        default: name
        }
    }

    // MARK: - The edit form's text

    /// `1.15` for 11500 basis points (as many decimals as it needs, at least two).
    static func multiplierText(_ basisPoints: Int64) -> String {
        let whole = basisPoints / 10_000, fraction = basisPoints % 10_000
        var decimals = String(format: "%04d", Int(fraction))
        while decimals.count > 2, decimals.hasSuffix("0") { decimals.removeLast() }
        return "\(whole).\(decimals)"
    }

    /// `1.15`, `×1.15`, `x1.15` or `1` → basis points; at most four decimals.
    static func basisPoints(_ text: String) -> Int64? {
        var digits = Substring(text)
        if digits.hasPrefix("×") || digits.hasPrefix("x") || digits.hasPrefix("X") { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].count <= 3, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...4).contains(decimals.count), decimals.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(decimals) else { return nil }
            fraction = value * Int64([1000, 100, 10, 1][decimals.count - 1])
        }
        return whole * 10_000 + fraction
    }

    /// One factor's bands, one per line: `25-29 25 29 1.15` (band, from, to, multiplier) for
    /// ranges, `ride_hail 1.45` (band, multiplier) for names.
    func factorText(_ name: String) -> String {
        factors.filter { $0.factor == name }.sorted { ($0.lower ?? .max, $0.band) < ($1.lower ?? .max, $1.band) }.map { row in
            if let lower = row.lower, let upper = row.upper { return "\(row.band) \(lower) \(upper) \(Self.multiplierText(row.multiplierBP))" }
            return "\(row.band) \(Self.multiplierText(row.multiplierBP))"
        }.joined(separator: "\n")
    }

    /// Postcode areas and districts with their band, one per line: `E1 F`.
    var areaBandText: String {
        areaBands.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
    }

    /// A table from the edit form's fields (`base.<type>` in pounds, `factor.<name>` and
    /// `area_bands` as lines); every line it cannot read is named in `errors`.
    static func parse(_ field: (String) -> String?) -> (contents: RateTableContents, errors: [String]) {
        var errors: [String] = []
        var baseRates: [String: Int64] = [:]
        for type in vehicleTypes {
            guard let text = field("base.\(type)") else { continue }
            guard let pence = AdminActionRequest.pence(fromPounds: text) else {
                errors.append("Base rates: \(type.replacingOccurrences(of: "_", with: " ")) “\(text)” is not an amount in pounds and pence, such as 1.40.")
                continue
            }
            baseRates[type] = pence
        }
        var factors: [Factor] = []
        for name in factorNames {
            let lines = (field("factor.\(name)") ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for (index, line) in lines.enumerated() {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                let wrong = "\(title(name)) line \(index + 1) (“\(line)”)"
                if numericFactors.contains(name) {
                    guard words.count == 4 else { errors.append("\(wrong): write the band, its lower and upper bound and the multiplier, such as “25-29 25 29 1.15”."); continue }
                    guard let lower = Int(words[1]), let upper = Int(words[2]) else { errors.append("\(wrong): the bounds must be whole numbers."); continue }
                    guard let multiplier = basisPoints(words[3]) else { errors.append("\(wrong): the multiplier must be a number such as 1.15."); continue }
                    factors.append(Factor(factor: name, band: words[0], lower: lower, upper: upper, multiplierBP: multiplier))
                } else {
                    guard words.count == 2 else { errors.append("\(wrong): write the band and the multiplier, such as “ride_hail 1.45”."); continue }
                    guard let multiplier = basisPoints(words[1]) else { errors.append("\(wrong): the multiplier must be a number such as 1.15."); continue }
                    factors.append(Factor(factor: name, band: words[0], lower: nil, upper: nil, multiplierBP: multiplier))
                }
            }
        }
        var areaBands: [String: String] = [:]
        let lines = (field("area_bands") ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for (index, line) in lines.enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.uppercased() }
            guard words.count == 2 else { errors.append("Area bands line \(index + 1) (“\(line)”): write the postcode area or district and its band, such as “E1 F”."); continue }
            if areaBands[words[0]] != nil { errors.append("Area bands: \(words[0]) appears twice.") }
            areaBands[words[0]] = words[1]
        }
        return (RateTableContents(baseRates: baseRates, factors: factors, areaBands: areaBands), errors)
    }
}

/// A rate table being drafted: not in force, and never used for a quote until it is published
/// as a new version.
struct RateDraft: Sendable {
    enum State: String, Sendable { case draft, published, discarded }

    let id: UUID
    let basedOn: Int
    let description: String
    let contents: RateTableContents
    let revision: Int
    let state: State
    let createdByName: String
    let createdAt: Date
    let updatedByName: String
    let updatedAt: Date
    let publishedVersion: Int?
}
