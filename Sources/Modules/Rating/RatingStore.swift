import Foundation
import AppKernel
import Postgres

/// Owns every SQL statement against the `rating` schema.
struct RatingStore: Sendable {
    let database: any PostgresQueryable

    /// Published tables never change (the runtime role cannot UPDATE them): cached by version.
    static let tables = VersionedCache<RateTable>()

    /// The newest rate table in effect at `instant`.
    func table(at instant: Date) async throws -> RateTable? {
        guard let (version, publication) = try await database.queryOptional(
            "SELECT version, xmin::text FROM rating.rate_tables WHERE effective_from <= \(instant) ORDER BY version DESC LIMIT 1",
            decode: { (Int(try $0.decode(Int32.self, at: 0)), try $0.decode(String.self, at: 1)) })
        else { return nil }
        return try await Self.tables.value(for: "\(version):\(publication)") { try await contents(of: version) }
    }

    private func contents(of version: Int) async throws -> RateTable {
        let v = Int32(version)
        let baseRates = try await database.queryAll(
            "SELECT vehicle_type, hourly_rate_amount FROM rating.base_rates WHERE version = \(v)"
        ) { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
        let factors = try await database.queryAll(
            "SELECT factor, band, lower_bound, upper_bound, multiplier_bp FROM rating.factors WHERE version = \(v) ORDER BY factor, lower_bound"
        ) { row in
            (try row.decode(String.self, at: 0),
             RateTable.Band(band: try row.decode(String.self, at: 1), lower: try row.decode(Int32?.self, at: 2).map(Int.init),
                            upper: try row.decode(Int32?.self, at: 3).map(Int.init), multiplierBP: Int64(try row.decode(Int32.self, at: 4))))
        }
        let areaBands = try await database.queryAll(
            "SELECT postcode_prefix, band FROM rating.area_bands WHERE version = \(v)"
        ) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        return RateTable(version: version, baseRates: Dictionary(uniqueKeysWithValues: baseRates),
                         factors: Dictionary(grouping: factors, by: \.0).mapValues { $0.map(\.1) },
                         areaBands: Dictionary(uniqueKeysWithValues: areaBands))
    }
}
