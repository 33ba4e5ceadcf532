import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `feature_flags` schema.
struct FeatureFlagsStore: Sendable {
    let database: any PostgresQueryable

    struct Row {
        let key: String
        let value: JSONValue
        let updatedAt: Date
        let updatedBy: String
    }

    func all() async throws -> [Row] {
        try await database.queryAll("SELECT key, value::text, updated_at, updated_by FROM feature_flags.values") { row in
            Row(key: try row.decode(String.self, at: 0),
                value: (try? JSON.decode(JSONValue.self, from: Array(try row.decode(String.self, at: 1).utf8))) ?? .null,
                updatedAt: try row.decode(Date.self, at: 2), updatedBy: try row.decode(String.self, at: 3))
        }
    }

    /// The stored value, locked for the change that follows.
    func current(_ key: String) async throws -> JSONValue? {
        try await database.queryOptional("SELECT value::text FROM feature_flags.values WHERE key = \(key) FOR UPDATE") {
            try? JSON.decode(JSONValue.self, from: Array(try $0.decode(String.self, at: 0).utf8))
        } ?? nil
    }

    func upsert(_ key: String, value: JSONValue, by actor: String) async throws {
        let text = String(decoding: try JSON.encode(value), as: UTF8.self)
        try await database.execute("""
            INSERT INTO feature_flags.values (key, value, updated_at, updated_by) VALUES (\(key), \(text)::jsonb, now(), \(actor))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
            """)
    }
}
