import AppKernel
import Foundation
import Postgres

/// The underwriting schema's queries for the admin: rule sets and their rules.
extension UnderwritingStore {
    struct RuleSetRow: Sendable {
        let version: Int
        let effectiveFrom: Date
        let description: String
    }

    struct RuleRow: Sendable {
        let version: Int
        let key: String
        /// The rule's value as stored (JSON).
        let value: PostgresJSON
    }

    /// Newest first, `limit` rule sets below `before` (keyset on the version number).
    func ruleSets(before: Int?, limit: Int) async throws -> [RuleSetRow] {
        try await database.queryAll("""
            SELECT version, effective_from, description FROM underwriting.rule_sets
            WHERE (\(before.map(Int32.init))::int4 IS NULL OR version < \(before.map(Int32.init)))
            ORDER BY version DESC LIMIT \(limit)
            """) { RuleSetRow(version: Int(try $0.decode(Int32.self, at: 0)), effectiveFrom: try $0.decode(Date.self, at: 1),
                               description: try $0.decode(String.self, at: 2)) }
    }

    func ruleSet(version: Int) async throws -> RuleSetRow? {
        try await database.queryOptional("""
            SELECT version, effective_from, description FROM underwriting.rule_sets WHERE version = \(Int32(version))
            """) { RuleSetRow(version: Int(try $0.decode(Int32.self, at: 0)), effectiveFrom: try $0.decode(Date.self, at: 1),
                               description: try $0.decode(String.self, at: 2)) }
    }

    /// The rule set underwriting applies at `instant`.
    func versionInEffect(at instant: Date) async throws -> Int? {
        try await database.queryOptional(
            "SELECT version FROM underwriting.rule_sets WHERE effective_from <= \(instant) ORDER BY version DESC LIMIT 1",
            decode: { Int(try $0.decode(Int32.self, at: 0)) })
    }

    /// The rules of these versions (a handful each).
    func rules(versions: [Int]) async throws -> [RuleRow] {
        try await database.queryAll("""
            SELECT version, key, value FROM underwriting.rules WHERE version = ANY(\(versions.map(Int32.init))) ORDER BY version DESC, key LIMIT 5000
            """) { RuleRow(version: Int(try $0.decode(Int32.self, at: 0)), key: try $0.decode(String.self, at: 1),
                           value: try $0.decode(PostgresJSON.self, at: 2)) }
    }
}
