import AdminUI
import AppKernel
import Drivers
import Foundation
import Postgres
import Vehicles

/// Every rule of one rule set, typed: what a version's rows hold (`underwriting.rules`, one row
/// per key) and what a draft edits (one JSON object with the same keys and values).
struct UnderwritingRules: Sendable, Equatable, Codable {
    var minAge: Int
    var maxAge: Int
    var minLicenceYears: Int
    var refusedLicenceTypes: [String]
    var maxVehicleAgeYears: [String: Int]
    var maxVehicleValueAmount: [String: Int64]
    var excludedPostcodeAreas: [String]

    enum CodingKeys: String, CodingKey {
        case minAge = "min_age", maxAge = "max_age", minLicenceYears = "min_licence_years", refusedLicenceTypes = "refused_licence_types"
        case maxVehicleAgeYears = "max_vehicle_age_years", maxVehicleValueAmount = "max_vehicle_value_amount"
        case excludedPostcodeAreas = "excluded_postcode_areas"
    }

    /// The keys, in the order the admin shows them.
    static let keys = ["min_age", "max_age", "min_licence_years", "refused_licence_types", "max_vehicle_age_years",
                       "max_vehicle_value_amount", "excluded_postcode_areas"]
    static var licenceTypes: [String] { LicenceType.allCases.map(\.rawValue) }
    static var vehicleTypes: [String] { VehicleType.allCases.map(\.rawValue) }

    init(minAge: Int, maxAge: Int, minLicenceYears: Int, refusedLicenceTypes: [String], maxVehicleAgeYears: [String: Int],
         maxVehicleValueAmount: [String: Int64], excludedPostcodeAreas: [String]) {
        self.minAge = minAge
        self.maxAge = maxAge
        self.minLicenceYears = minLicenceYears
        self.refusedLicenceTypes = refusedLicenceTypes
        self.maxVehicleAgeYears = maxVehicleAgeYears
        self.maxVehicleValueAmount = maxVehicleValueAmount
        self.excludedPostcodeAreas = excludedPostcodeAreas
    }

    /// A version's rows (key → stored JSON); a missing or unreadable rule makes quoting unavailable.
    init(values: [String: PostgresJSON]) throws {
        func value<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let json = values[key] else { throw AppError.unavailable("underwriting rule \(key) is missing") }
            return try json.decode(type)
        }
        self.init(minAge: try value("min_age", Int.self), maxAge: try value("max_age", Int.self),
                  minLicenceYears: try value("min_licence_years", Int.self),
                  refusedLicenceTypes: try value("refused_licence_types", [String].self),
                  maxVehicleAgeYears: try value("max_vehicle_age_years", [String: Int].self),
                  maxVehicleValueAmount: try value("max_vehicle_value_amount", [String: Int64].self),
                  excludedPostcodeAreas: try value("excluded_postcode_areas", [String].self))
    }

    func ruleSet(version: Int) -> RuleSet {
        RuleSet(version: version, minAge: minAge, maxAge: maxAge, minLicenceYears: minLicenceYears, refusedLicenceTypes: refusedLicenceTypes,
                maxVehicleAgeYears: maxVehicleAgeYears, maxVehicleValueAmount: maxVehicleValueAmount, excludedPostcodeAreas: excludedPostcodeAreas)
    }

    /// One (key, stored JSON) pair per rule, as a version's rows are.
    func rows() throws -> [(key: String, value: PostgresJSON)] {
        [("min_age", try PostgresJSON(encoding: minAge)), ("max_age", try PostgresJSON(encoding: maxAge)),
         ("min_licence_years", try PostgresJSON(encoding: minLicenceYears)),
         ("refused_licence_types", try PostgresJSON(encoding: refusedLicenceTypes)),
         ("max_vehicle_age_years", try PostgresJSON(encoding: maxVehicleAgeYears)),
         ("max_vehicle_value_amount", try PostgresJSON(encoding: maxVehicleValueAmount)),
         ("excluded_postcode_areas", try PostgresJSON(encoding: excludedPostcodeAreas))]
    }

    /// Everything wrong with these rules, in words (empty: they can be saved and published).
    var problems: [String] {
        var problems: [String] = []
        if !(16...100).contains(minAge) { problems.append("The minimum age must be between 16 and 100.") }
        if !(minAge...120).contains(maxAge) { problems.append("The maximum age must be at least the minimum age, and at most 120.") }
        if !(0...60).contains(minLicenceYears) { problems.append("The licence years must be between 0 and 60.") }
        for type in refusedLicenceTypes where !Self.licenceTypes.contains(type) {
            problems.append("“\(type)” is not a licence type (\(Self.licenceTypes.joined(separator: ", "))).")
        }
        if Set(refusedLicenceTypes).count != refusedLicenceTypes.count { problems.append("A refused licence type is named twice.") }
        if Set(refusedLicenceTypes) == Set(Self.licenceTypes) { problems.append("Refusing every licence type would decline every driver.") }
        for (type, years) in maxVehicleAgeYears.sorted(by: { $0.key < $1.key }) {
            if !Self.vehicleTypes.contains(type) { problems.append("“\(type)” is not a vehicle type.") }
            if !(0...100).contains(years) { problems.append("The age limit of a \(type.replacingOccurrences(of: "_", with: " ")) must be 0 to 100 years.") }
        }
        for (type, value) in maxVehicleValueAmount.sorted(by: { $0.key < $1.key }) {
            if !Self.vehicleTypes.contains(type) { problems.append("“\(type)” is not a vehicle type.") }
            if value <= 0 { problems.append("The value limit of a \(type.replacingOccurrences(of: "_", with: " ")) must be more than £0.") }
        }
        for area in excludedPostcodeAreas where area.range(of: "^[A-Z]{1,2}$", options: .regularExpression) == nil {
            problems.append("“\(area)” is not a postcode area (one or two letters, such as BT).")
        }
        if Set(excludedPostcodeAreas).count != excludedPostcodeAreas.count { problems.append("An excluded postcode area is named twice.") }
        return problems
    }

    // MARK: - The edit form

    /// Rules from the edit form's fields; what cannot be read is named in `errors`.
    static func parse(_ field: (String) -> String?) -> (rules: UnderwritingRules, errors: [String]) {
        var errors: [String] = []
        func whole(_ name: String, _ label: String) -> Int {
            guard let text = field(name) else { errors.append("\(label) is needed."); return 0 }
            guard let number = Int(text) else { errors.append("\(label) must be a whole number, not “\(text)”."); return 0 }
            return number
        }
        func words(_ name: String, uppercased: Bool) -> [String] {
            (field(name) ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0.isNewline }).map { uppercased ? $0.uppercased() : $0.lowercased() }
        }
        var ages: [String: Int] = [:], values: [String: Int64] = [:]
        for type in vehicleTypes {
            let name = type.replacingOccurrences(of: "_", with: " ")
            if let text = field("max_vehicle_age_years.\(type)") {
                if let years = Int(text) { ages[type] = years } else { errors.append("The age limit of a \(name) must be whole years, not “\(text)”.") }
            }
            if let text = field("max_vehicle_value_amount.\(type)") {
                if let pence = AdminActionRequest.pence(fromPounds: text) { values[type] = pence } else {
                    errors.append("The value limit of a \(name) must be an amount in pounds, such as 60000.00, not “\(text)”.")
                }
            }
        }
        let rules = UnderwritingRules(minAge: whole("min_age", "The minimum age"), maxAge: whole("max_age", "The maximum age"),
                                      minLicenceYears: whole("min_licence_years", "The licence years"),
                                      refusedLicenceTypes: words("refused_licence_types", uppercased: false),
                                      maxVehicleAgeYears: ages, maxVehicleValueAmount: values,
                                      excludedPostcodeAreas: words("excluded_postcode_areas", uppercased: true))
        return (rules, errors)
    }
}

/// A rule set being drafted: not applied to any quote until it is published as a new version.
struct RuleDraft: Sendable {
    enum State: String, Sendable { case draft, published, discarded }

    let id: UUID
    let basedOn: Int
    let description: String
    let rules: UnderwritingRules
    let revision: Int
    let state: State
    let createdByName: String
    let createdAt: Date
    let updatedByName: String
    let updatedAt: Date
    let publishedVersion: Int?
}
