import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `underwriting` schema.
struct UnderwritingStore: Sendable {
    let database: any PostgresQueryable

    func ruleSet(at instant: Date) async throws -> RuleSet {
        guard let version = try await database.queryOptional(
            "SELECT version FROM underwriting.rule_sets WHERE effective_from <= \(instant) ORDER BY version DESC LIMIT 1",
            decode: { try $0.decode(Int32.self, at: 0) })
        else { throw AppError.unavailable("no underwriting rules are in effect") }
        let rows = try await database.queryAll("SELECT key, value FROM underwriting.rules WHERE version = \(version)") {
            (try $0.decode(String.self, at: 0), try $0.decode(PostgresJSON.self, at: 1))
        }
        let values = Dictionary(uniqueKeysWithValues: rows)
        func value<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let json = values[key] else { throw AppError.unavailable("underwriting rule \(key) is missing") }
            return try json.decode(type)
        }
        return RuleSet(version: Int(version), minAge: try value("min_age", Int.self), maxAge: try value("max_age", Int.self),
                       minLicenceYears: try value("min_licence_years", Int.self),
                       refusedLicenceTypes: try value("refused_licence_types", [String].self),
                       maxVehicleAgeYears: try value("max_vehicle_age_years", [String: Int].self),
                       maxVehicleValueAmount: try value("max_vehicle_value_amount", [String: Int64].self),
                       excludedPostcodeAreas: try value("excluded_postcode_areas", [String].self))
    }
}
