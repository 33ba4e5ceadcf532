import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `underwriting` schema.
struct UnderwritingStore: Sendable {
    let database: any PostgresQueryable

    /// Published rule sets never change (the runtime role cannot UPDATE them): cached by version.
    static let ruleSets = VersionedCache<RuleSet>()

    func ruleSet(at instant: Date) async throws -> RuleSet {
        guard let (version, publication) = try await database.queryOptional(
            "SELECT version, xmin::text FROM underwriting.rule_sets WHERE effective_from <= \(instant) ORDER BY version DESC LIMIT 1",
            decode: { (try $0.decode(Int32.self, at: 0), try $0.decode(String.self, at: 1)) })
        else { throw AppError.unavailable("no underwriting rules are in effect") }
        return try await Self.ruleSets.value(for: "\(version):\(publication)") { try await rules(of: version) }
    }

    private func rules(of version: Int32) async throws -> RuleSet {
        let rows = try await database.queryAll("SELECT key, value FROM underwriting.rules WHERE version = \(version)") {
            (try $0.decode(String.self, at: 0), try $0.decode(PostgresJSON.self, at: 1))
        }
        return try UnderwritingRules(values: Dictionary(uniqueKeysWithValues: rows)).ruleSet(version: Int(version))
    }
}
