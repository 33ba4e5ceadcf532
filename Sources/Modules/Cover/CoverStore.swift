import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `cover` schema.
struct CoverStore: Sendable {
    let database: any PostgresQueryable

    /// Serialises everything that changes one driver's sessions until the transaction ends.
    /// Lock order: a policy row (cancellation), then this, then the wallet (charges).
    func lockDriver(_ driverID: UUID) async throws {
        _ = try await database.query("SELECT pg_advisory_xact_lock(hashtextextended(\("cover:" + driverID.uuidString.lowercased()), 0))")
    }

    func manualShifts(of policyID: UUID, since: Date) async throws -> [(id: UUID, start: Date, end: Date?)] {
        try await database.queryAll("""
            SELECT id, started_at, ended_at FROM cover.manual_shifts
            WHERE policy_id = \(policyID) AND (ended_at IS NULL OR ended_at >= \(since))
            """) { (try $0.decode(UUID.self, at: 0), try $0.decode(Date.self, at: 1), try $0.decode(Date?.self, at: 2)) }
    }

    func startManualShift(driverID: UUID, policyID: UUID, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO cover.manual_shifts (id, driver_id, policy_id, started_at)
            SELECT \(UUID()), \(driverID), \(policyID), \(instant)
            WHERE NOT EXISTS (SELECT 1 FROM cover.manual_shifts WHERE driver_id = \(driverID) AND ended_at IS NULL)
            """)
    }

    func endManualShifts(driverID: UUID, at instant: Date) async throws {
        try await database.execute("""
            UPDATE cover.manual_shifts SET ended_at = greatest(started_at, \(instant)) WHERE driver_id = \(driverID) AND ended_at IS NULL
            """)
    }

    /// Whether cover started by hand is running for the driver.
    func hasOpenManualShift(driverID: UUID) async throws -> Bool {
        try await database.queryValue("""
            SELECT EXISTS (SELECT 1 FROM cover.manual_shifts WHERE driver_id = \(driverID) AND ended_at IS NULL)
            """, as: Bool.self)
    }

    func decisions(of driverID: UUID) async throws -> [Date: Bool] {
        let rows = try await database.queryAll("SELECT shift_start, allowed FROM cover.open_decisions WHERE driver_id = \(driverID)") {
            (try $0.decode(Date.self, at: 0), try $0.decode(Bool.self, at: 1))
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    func recordDecision(driverID: UUID, shiftStart: Date, allowed: Bool) async throws {
        try await database.execute("""
            INSERT INTO cover.open_decisions (driver_id, shift_start, allowed) VALUES (\(driverID), \(shiftStart), \(allowed))
            ON CONFLICT DO NOTHING
            """)
    }

    /// Marks the policy's closed sessions final once nothing can change them: closed and
    /// past `settledBefore` (their cover ended, plus the join window and the longest lateness).
    func finalize(policyID: UUID, coverEndedBefore settledBefore: Date) async throws {
        try await database.execute("""
            UPDATE cover.sessions SET final = true, updated_at = now()
            WHERE policy_id = \(policyID) AND status = 'closed' AND NOT final AND covered_until < \(settledBefore)
            """)
    }

    /// A member of staff force-closed the session at `instant`: it is final from now on.
    func markClosedByStaff(_ id: UUID, at instant: Date) async throws {
        try await database.execute("""
            UPDATE cover.sessions SET final = true, closed_by_staff_at = \(instant), updated_at = now()
            WHERE id = \(id) AND status = 'closed' AND NOT final
            """)
    }

    /// Closes the book on every session of a policy that stopped covering.
    func finalizeAll(policyID: UUID) async throws {
        try await database.execute("""
            UPDATE cover.sessions SET final = true, updated_at = now() WHERE policy_id = \(policyID) AND status = 'closed' AND NOT final
            """)
    }

    /// The policy's sessions that can still change (live, not final).
    func openToChange(policyID: UUID) async throws -> [SessionRecord] {
        try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE policy_id = \(policyID) AND NOT final AND status <> 'superseded' ORDER BY started_at
            """, decode: SessionRecord.init(row:))
    }

    /// The policy's latest final session: the history a recompute never reaches behind.
    func latestFinal(policyID: UUID) async throws -> SessionRecord? {
        try await database.queryOptional("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE policy_id = \(policyID) AND final ORDER BY started_at DESC LIMIT 1
            """, decode: SessionRecord.init(row:))
    }

    /// Records a computed session of `policyID`: a new row, or an update of the same
    /// session of the same policy, never of another policy's or a final one's (the trigger
    /// `cover.protect_sessions` refuses those, whatever this code does).
    func upsert(driverID: UUID, policyID: UUID, session: CoverSession, rate: Int64) async throws -> SessionRecord {
        try await database.queryOne("""
            INSERT INTO cover.sessions (id, driver_id, policy_id, started_at, ended_at, covered_until, was_cut, status,
                                        billed_minutes, hourly_rate_amount)
            VALUES (\(UUID()), \(driverID), \(policyID), \(session.start), \(session.lastShiftEnd), \(session.coveredUntil),
                    \(session.wasCut), \(session.isClosed ? "closed" : "active"), \(Int32(session.billedMinutes)), \(rate))
            ON CONFLICT (driver_id, started_at) WHERE status <> 'superseded' DO UPDATE SET ended_at = EXCLUDED.ended_at,
                covered_until = EXCLUDED.covered_until, was_cut = EXCLUDED.was_cut, status = EXCLUDED.status,
                billed_minutes = EXCLUDED.billed_minutes, updated_at = now()
            RETURNING \(SessionRecord.columns)
            """, decode: SessionRecord.init(row:))
    }

    func recordCharge(_ id: UUID, charged: Int64, ipt: Int64) async throws {
        try await database.execute("""
            UPDATE cover.sessions SET charged_amount = \(charged), ipt_amount = \(ipt), updated_at = now() WHERE id = \(id)
            """)
    }

    func supersede(_ id: UUID) async throws {
        try await database.execute("""
            UPDATE cover.sessions SET status = 'superseded', charged_amount = 0, ipt_amount = 0, updated_at = now() WHERE id = \(id)
            """)
    }

    func session(_ id: UUID, driverID: UUID) async throws -> SessionRecord? {
        try await database.queryOptional("""
            SELECT \(SessionRecord.columns) FROM cover.sessions WHERE id = \(id) AND driver_id = \(driverID) AND status <> 'superseded'
            """, decode: SessionRecord.init(row:))
    }

    /// A page of the policy's sessions, newest first (keyset on `started_at`, `id`).
    func sessions(ofPolicy policyID: UUID, driverID: UUID, page: PageRequest) async throws -> [SessionRecord] {
        let after: SQL = page.after.map { "AND (started_at, id) < (\($0.createdAt), \($0.id))" } ?? ""
        return try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE policy_id = \(policyID) AND driver_id = \(driverID) AND status <> 'superseded' \(after)
            ORDER BY started_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: SessionRecord.init(row:))
    }

    /// The recorded session covering `instant`: of one policy, or of any of the driver's. A
    /// running shift is covered up to `now`; nothing after a session's `covered_until` once
    /// its shifts ended (a cancellation caps it there).
    func covering(driverID: UUID, policyID: UUID?, at instant: Date, now: Date) async throws -> SessionRecord? {
        let policy: SQL = policyID.map { "AND policy_id = \($0)" } ?? ""
        return try await database.queryOptional("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE driver_id = \(driverID) \(policy) AND status <> 'superseded' AND started_at <= \(instant)
              AND (\(instant) < covered_until OR (status = 'active' AND ended_at IS NULL AND \(instant) <= \(now)))
            ORDER BY started_at DESC LIMIT 1
            """, decode: SessionRecord.init(row:))
    }

    /// What covers the driver at `instant`, in one statement: the session `covering` would
    /// find, else the first paid hourly block whose window holds it (the policies module's
    /// published view `policies.block_cover_windows`). Nil when neither does.
    func sessionOrBlock(driverID: UUID, at instant: Date, now: Date) async throws -> CoverAtInstant? {
        try await database.queryOne("""
            SELECT s.*, b.policy_id, b.covers_until FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT \(SessionRecord.columns) FROM cover.sessions
                WHERE driver_id = \(driverID) AND status <> 'superseded' AND started_at <= \(instant)
                  AND (\(instant) < covered_until OR (status = 'active' AND ended_at IS NULL AND \(instant) <= \(now)))
                ORDER BY started_at DESC LIMIT 1) AS s ON true
            LEFT JOIN LATERAL (
                SELECT policy_id, covers_until FROM policies.block_cover_windows
                WHERE driver_id = \(driverID) AND covers_from <= \(instant) AND \(instant) < covers_until
                ORDER BY starts_at LIMIT 1) AS b ON true
            """) { row -> CoverAtInstant? in
            if !row.isNull(at: 0) { return .session(try SessionRecord(row: row)) }
            let blockColumn = row.columnCount - 2
            guard !row.isNull(at: blockColumn) else { return nil }
            return .block(policyID: try row.decode(UUID.self, at: blockColumn), coveredUntil: try row.decode(Date.self, at: blockColumn + 1))
        }
    }

    /// How far the policy's sessions were computed (the `now` of its last recompute).
    func computedUntil(policyID: UUID) async throws -> Date? {
        try await database.queryOptional("SELECT computed_until FROM cover.policy_progress WHERE policy_id = \(policyID)") {
            try $0.decode(Date.self, at: 0)
        }
    }

    func setComputedUntil(_ instant: Date, policyID: UUID, driverID: UUID) async throws {
        try await database.execute("""
            INSERT INTO cover.policy_progress (policy_id, driver_id, computed_until) VALUES (\(policyID), \(driverID), \(instant))
            ON CONFLICT (policy_id) DO UPDATE SET computed_until = greatest(cover.policy_progress.computed_until, EXCLUDED.computed_until),
                updated_at = now()
            """)
    }

    func driversWithActiveSessions() async throws -> [UUID] {
        try await database.queryAll("SELECT DISTINCT driver_id FROM cover.sessions WHERE status = 'active'") { try $0.decode(UUID.self, at: 0) }
    }
}
