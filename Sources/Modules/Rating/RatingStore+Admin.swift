import AppKernel
import Foundation
import Postgres

/// The rating schema's queries for the admin: versions and their rows, whole (a version is a
/// few dozen rows; the limits only keep a broken table from flooding a page).
extension RatingStore {
    struct VersionRow: Sendable {
        let version: Int
        let effectiveFrom: Date
        let description: String
        let createdAt: Date

        static let columns: SQL = "version, effective_from, description, created_at"

        init(row: PostgresRow) throws {
            version = Int(try row.decode(Int32.self, at: 0))
            effectiveFrom = try row.decode(Date.self, at: 1)
            description = try row.decode(String.self, at: 2)
            createdAt = try row.decode(Date.self, at: 3)
        }
    }

    struct FactorRow: Sendable, Equatable {
        let factor: String
        let band: String
        let lower: Int?
        let upper: Int?
        let multiplierBP: Int64
    }

    /// Everything one version holds.
    struct Contents: Sendable {
        let version: VersionRow
        let baseRates: [(vehicleType: String, amount: Int64)]
        let factors: [FactorRow]
        let areaBands: [(prefix: String, band: String)]
    }

    /// Newest version first, `limit` rows below `before` (keyset on the version number).
    func versions(before: Int?, limit: Int) async throws -> [VersionRow] {
        try await database.queryAll("""
            SELECT \(VersionRow.columns) FROM rating.rate_tables
            WHERE (\(before.map(Int32.init))::int4 IS NULL OR version < \(before.map(Int32.init)))
            ORDER BY version DESC LIMIT \(limit)
            """, decode: VersionRow.init(row:))
    }

    /// The version pricing uses at `instant` (the newest already in effect).
    func versionInEffect(at instant: Date) async throws -> Int? {
        try await database.queryOptional(
            "SELECT version FROM rating.rate_tables WHERE effective_from <= \(instant) ORDER BY version DESC LIMIT 1",
            decode: { Int(try $0.decode(Int32.self, at: 0)) })
    }

    func contents(version: Int) async throws -> Contents? {
        let v = Int32(version)
        guard let header = try await database.queryOptional("SELECT \(VersionRow.columns) FROM rating.rate_tables WHERE version = \(v)",
                                                            decode: VersionRow.init(row:))
        else { return nil }
        let baseRates = try await database.queryAll(
            "SELECT vehicle_type, hourly_rate_amount FROM rating.base_rates WHERE version = \(v) ORDER BY hourly_rate_amount, vehicle_type LIMIT 500"
        ) { (vehicleType: try $0.decode(String.self, at: 0), amount: try $0.decode(Int64.self, at: 1)) }
        let factors = try await database.queryAll("""
            SELECT factor, band, lower_bound, upper_bound, multiplier_bp FROM rating.factors WHERE version = \(v)
            ORDER BY factor, lower_bound NULLS LAST, band LIMIT 2000
            """) { row in
            FactorRow(factor: try row.decode(String.self, at: 0), band: try row.decode(String.self, at: 1),
                      lower: try row.decode(Int32?.self, at: 2).map(Int.init), upper: try row.decode(Int32?.self, at: 3).map(Int.init),
                      multiplierBP: Int64(try row.decode(Int32.self, at: 4)))
        }
        let areaBands = try await database.queryAll(
            "SELECT postcode_prefix, band FROM rating.area_bands WHERE version = \(v) ORDER BY band DESC, postcode_prefix LIMIT 5000"
        ) { (prefix: try $0.decode(String.self, at: 0), band: try $0.decode(String.self, at: 1)) }
        return Contents(version: header, baseRates: baseRates, factors: factors, areaBands: areaBands)
    }
}
