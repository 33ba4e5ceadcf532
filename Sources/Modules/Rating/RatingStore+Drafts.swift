import AppKernel
import Foundation
import Postgres

/// Drafts of rate tables (migration 0051): written by the runtime role, published into a new,
/// read-only version only through `rating.publish_draft`.
extension RatingStore {
    static let draftColumns: SQL = """
        id, based_on, description, contents, revision, state, created_by_name, created_at, updated_by_name, updated_at, published_version
        """

    static func draft(row: PostgresRow) throws -> RateDraft {
        guard let state = RateDraft.State(rawValue: try row.decode(String.self, at: 5)) else {
            throw PostgresError(code: .decoding, message: "unknown draft state")
        }
        return RateDraft(id: try row.decode(UUID.self, at: 0), basedOn: Int(try row.decode(Int32.self, at: 1)),
                         description: try row.decode(String.self, at: 2),
                         contents: try row.decode(PostgresJSON.self, at: 3).decode(RateTableContents.self),
                         revision: Int(try row.decode(Int32.self, at: 4)), state: state,
                         createdByName: try row.decode(String.self, at: 6), createdAt: try row.decode(Date.self, at: 7),
                         updatedByName: try row.decode(String.self, at: 8), updatedAt: try row.decode(Date.self, at: 9),
                         publishedVersion: try row.decode(Int32?.self, at: 10).map(Int.init))
    }

    func insertDraft(id: UUID, basedOn: Int, description: String, contents: RateTableContents, by staff: StaffCaller, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO rating.drafts (id, based_on, description, contents, created_by, created_by_name, created_at, updated_by_name, updated_at)
            VALUES (\(id), \(Int32(basedOn)), \(description), \(try PostgresJSON(encoding: contents)), \(staff.id), \(staff.name), \(instant),
                    \(staff.name), \(instant))
            """)
    }

    func draft(_ id: UUID, lock: Bool = false) async throws -> RateDraft? {
        let locking: SQL = lock ? "FOR UPDATE" : ""
        return try await database.queryOptional("SELECT \(Self.draftColumns) FROM rating.drafts WHERE id = \(id) \(locking)",
                                                decode: Self.draft(row:))
    }

    /// The latest drafts, open ones first.
    func drafts(limit: Int) async throws -> [RateDraft] {
        try await database.queryAll("""
            SELECT \(Self.draftColumns) FROM rating.drafts ORDER BY (state = 'draft') DESC, updated_at DESC, id DESC LIMIT \(limit)
            """, decode: Self.draft(row:))
    }

    /// Saves a new revision of an open draft; false when it is no longer open at `revision`.
    func saveDraft(_ id: UUID, revision: Int, description: String, contents: RateTableContents, by staff: StaffCaller,
                   at instant: Date) async throws -> Bool {
        try await database.execute("""
            UPDATE rating.drafts SET description = \(description), contents = \(try PostgresJSON(encoding: contents)),
                   revision = revision + 1, updated_by_name = \(staff.name), updated_at = \(instant)
            WHERE id = \(id) AND state = 'draft' AND revision = \(Int32(revision))
            """) == 1
    }

    func discardDraft(_ id: UUID, by staff: StaffCaller, at instant: Date) async throws -> Bool {
        try await database.execute("""
            UPDATE rating.drafts SET state = 'discarded', updated_by_name = \(staff.name), updated_at = \(instant)
            WHERE id = \(id) AND state = 'draft'
            """) == 1
    }

    /// Copies the draft into a new version (the database function numbers it); its number.
    func publishDraft(_ id: UUID, revision: Int, effectiveFrom: Date, at instant: Date) async throws -> Int {
        Int(try await database.queryValue("""
            SELECT rating.publish_draft(\(id), \(Int32(revision)), \(effectiveFrom), \(instant))
            """, as: Int32.self))
    }

    /// Published versions that start after `instant`, oldest start first (a publication
    /// starting earlier overtakes them: the newest version in effect prices).
    func versionsStarting(after instant: Date) async throws -> [VersionRow] {
        try await database.queryAll("""
            SELECT \(VersionRow.columns) FROM rating.rate_tables WHERE effective_from > \(instant) ORDER BY effective_from, version LIMIT 20
            """, decode: VersionRow.init(row:))
    }
}

extension RatingStore.VersionRow {
    init(version: Int, effectiveFrom: Date, description: String, createdAt: Date) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.description = description
        self.createdAt = createdAt
    }
}
