import AppKernel
import Foundation
import Postgres

/// The cover schema's queries for the admin: session lists, one session, a driver's sessions
/// and hand-started shifts over a window, and the ops-home counts.
extension CoverStore {
    /// Newest first by start, `limit + 1` rows after the cursor.
    func list(statuses: [String], cutOnly: Bool, driverID: UUID?, page: PageRequest) async throws -> [SessionRecord] {
        // Typed as SQL: a String here would be bound as a value (and be a syntax error).
        let keyset: SQL = page.after.map { "AND (started_at, id) < (\($0.createdAt), \($0.id))" } ?? ""
        return try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE (cardinality(\(statuses)::text[]) = 0 OR status = ANY(\(statuses))) AND (NOT \(cutOnly) OR was_cut)
              AND (\(driverID)::uuid IS NULL OR driver_id = \(driverID))
              \(keyset)
            ORDER BY started_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: SessionRecord.init(row:))
    }

    func anySession(_ id: UUID) async throws -> SessionRecord? {
        try await database.queryOptional("SELECT \(SessionRecord.columns) FROM cover.sessions WHERE id = \(id)", decode: SessionRecord.init(row:))
    }

    /// The driver's sessions overlapping `[from, to)`, superseded ones left out.
    func sessions(driverID: UUID, overlapping from: Date, _ to: Date) async throws -> [SessionRecord] {
        try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE driver_id = \(driverID) AND status <> 'superseded' AND started_at < \(to)
              AND (covered_until > \(from) OR status = 'active')
            ORDER BY started_at LIMIT 500
            """, decode: SessionRecord.init(row:))
    }

    /// The driver's latest sessions (driver 360), superseded ones left out.
    func latest(driverID: UUID, limit: Int) async throws -> [SessionRecord] {
        try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions WHERE driver_id = \(driverID) AND status <> 'superseded'
            ORDER BY started_at DESC LIMIT \(limit)
            """, decode: SessionRecord.init(row:))
    }

    func manualShifts(driverID: UUID, overlapping from: Date, _ to: Date) async throws -> [(id: UUID, start: Date, end: Date?)] {
        try await database.queryAll("""
            SELECT id, started_at, ended_at FROM cover.manual_shifts
            WHERE driver_id = \(driverID) AND started_at < \(to) AND (ended_at IS NULL OR ended_at > \(from)) ORDER BY started_at LIMIT 200
            """) { (try $0.decode(UUID.self, at: 0), try $0.decode(Date.self, at: 1), try $0.decode(Date?.self, at: 2)) }
    }

    struct HomeCounts {
        let coveredNow: Int
        let open: Int
        let nearCut: Int
    }

    /// Drivers a session covers at `now`, sessions still open, and open sessions within the
    /// last hour before the 14-hour cut.
    func homeCounts(now: Date) async throws -> HomeCounts {
        try await database.queryOne("""
            SELECT (SELECT count(DISTINCT driver_id) FROM cover.sessions
                    WHERE status <> 'superseded' AND started_at <= \(now) AND (covered_until > \(now) OR status = 'active'))::int8,
                   (SELECT count(*) FROM cover.sessions WHERE status = 'active')::int8,
                   (SELECT count(*) FROM cover.sessions WHERE status = 'active' AND started_at <= \(now.addingTimeInterval(-13 * 3600)))::int8
            """) { HomeCounts(coveredNow: try $0.decode(Int.self, at: 0), open: try $0.decode(Int.self, at: 1), nearCut: try $0.decode(Int.self, at: 2)) }
    }
}
