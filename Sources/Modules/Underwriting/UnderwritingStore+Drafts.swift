import AppKernel
import Foundation
import Postgres

/// Drafts of rule sets (migration 0052): written by the runtime role, published into a new,
/// read-only version only through `underwriting.publish_draft`.
extension UnderwritingStore {
    static let draftColumns: SQL = """
        id, based_on, description, rules, revision, state, created_by_name, created_at, updated_by_name, updated_at, published_version
        """

    static func draft(row: PostgresRow) throws -> RuleDraft {
        guard let state = RuleDraft.State(rawValue: try row.decode(String.self, at: 5)) else {
            throw PostgresError(code: .decoding, message: "unknown draft state")
        }
        return RuleDraft(id: try row.decode(UUID.self, at: 0), basedOn: Int(try row.decode(Int32.self, at: 1)),
                         description: try row.decode(String.self, at: 2),
                         rules: try row.decode(PostgresJSON.self, at: 3).decode(UnderwritingRules.self),
                         revision: Int(try row.decode(Int32.self, at: 4)), state: state,
                         createdByName: try row.decode(String.self, at: 6), createdAt: try row.decode(Date.self, at: 7),
                         updatedByName: try row.decode(String.self, at: 8), updatedAt: try row.decode(Date.self, at: 9),
                         publishedVersion: try row.decode(Int32?.self, at: 10).map(Int.init))
    }

    /// A published version's rules, typed; nil when there is no such version.
    func rules(version: Int) async throws -> UnderwritingRules? {
        let rows = try await database.queryAll("SELECT key, value FROM underwriting.rules WHERE version = \(Int32(version))") {
            (try $0.decode(String.self, at: 0), try $0.decode(PostgresJSON.self, at: 1))
        }
        return rows.isEmpty ? nil : try UnderwritingRules(values: Dictionary(uniqueKeysWithValues: rows))
    }

    func insertDraft(id: UUID, basedOn: Int, description: String, rules: UnderwritingRules, by staff: StaffCaller, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO underwriting.drafts (id, based_on, description, rules, created_by, created_by_name, created_at, updated_by_name, updated_at)
            VALUES (\(id), \(Int32(basedOn)), \(description), \(try PostgresJSON(encoding: rules)), \(staff.id), \(staff.name), \(instant),
                    \(staff.name), \(instant))
            """)
    }

    func draft(_ id: UUID, lock: Bool = false) async throws -> RuleDraft? {
        let locking: SQL = lock ? "FOR UPDATE" : ""
        return try await database.queryOptional("SELECT \(Self.draftColumns) FROM underwriting.drafts WHERE id = \(id) \(locking)",
                                                decode: Self.draft(row:))
    }

    func drafts(limit: Int) async throws -> [RuleDraft] {
        try await database.queryAll("""
            SELECT \(Self.draftColumns) FROM underwriting.drafts ORDER BY (state = 'draft') DESC, updated_at DESC, id DESC LIMIT \(limit)
            """, decode: Self.draft(row:))
    }

    func saveDraft(_ id: UUID, revision: Int, description: String, rules: UnderwritingRules, by staff: StaffCaller, at instant: Date) async throws -> Bool {
        try await database.execute("""
            UPDATE underwriting.drafts SET description = \(description), rules = \(try PostgresJSON(encoding: rules)),
                   revision = revision + 1, updated_by_name = \(staff.name), updated_at = \(instant)
            WHERE id = \(id) AND state = 'draft' AND revision = \(Int32(revision))
            """) == 1
    }

    func discardDraft(_ id: UUID, by staff: StaffCaller, at instant: Date) async throws -> Bool {
        try await database.execute("""
            UPDATE underwriting.drafts SET state = 'discarded', updated_by_name = \(staff.name), updated_at = \(instant)
            WHERE id = \(id) AND state = 'draft'
            """) == 1
    }

    func publishDraft(_ id: UUID, revision: Int, effectiveFrom: Date, at instant: Date) async throws -> Int {
        Int(try await database.queryValue("""
            SELECT underwriting.publish_draft(\(id), \(Int32(revision)), \(effectiveFrom), \(instant))
            """, as: Int32.self))
    }

    /// Published rule sets that start after `instant` (a publication starting earlier overtakes them).
    func ruleSetsStarting(after instant: Date) async throws -> [RuleSetRow] {
        try await database.queryAll("""
            SELECT version, effective_from, description FROM underwriting.rule_sets WHERE effective_from > \(instant)
            ORDER BY effective_from, version LIMIT 20
            """) { RuleSetRow(version: Int(try $0.decode(Int32.self, at: 0)), effectiveFrom: try $0.decode(Date.self, at: 1),
                               description: try $0.decode(String.self, at: 2)) }
    }
}
