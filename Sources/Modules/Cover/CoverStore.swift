import AppKernel
import Foundation
import Postgres

/// A recorded session row.
struct SessionRecord: Sendable, Encodable {
    let id: UUID
    let driverID: UUID
    let policyId: UUID
    let startedAt: Date
    let endedAt: Date?
    let coveredUntil: Date
    let wasCut: Bool
    let status: String
    let billedMinutes: Int
    let hourlyRateAmount: Int64
    let chargedAmount: Int64
    let iptAmount: Int64
    var currency: String { "GBP" }

    static let columns: SQL = """
        id, driver_id, policy_id, started_at, ended_at, covered_until, was_cut, status, billed_minutes, hourly_rate_amount, \
        charged_amount, ipt_amount
        """

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverID = try row.decode(UUID.self, at: 1)
        policyId = try row.decode(UUID.self, at: 2)
        startedAt = try row.decode(Date.self, at: 3)
        endedAt = try row.decode(Date?.self, at: 4)
        coveredUntil = try row.decode(Date.self, at: 5)
        wasCut = try row.decode(Bool.self, at: 6)
        status = try row.decode(String.self, at: 7)
        billedMinutes = Int(try row.decode(Int32.self, at: 8))
        hourlyRateAmount = try row.decode(Int64.self, at: 9)
        chargedAmount = try row.decode(Int64.self, at: 10)
        iptAmount = try row.decode(Int64.self, at: 11)
    }

    enum CodingKeys: String, CodingKey {
        case id, policyId, status, startedAt, endedAt, coveredUntil, wasCut, billedMinutes, hourlyRateAmount, chargedAmount,
             iptAmount, currency
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(policyId, forKey: .policyId)
        try container.encode(status, forKey: .status)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(coveredUntil, forKey: .coveredUntil)
        try container.encode(wasCut, forKey: .wasCut)
        try container.encode(billedMinutes, forKey: .billedMinutes)
        try container.encode(hourlyRateAmount, forKey: .hourlyRateAmount)
        try container.encode(chargedAmount, forKey: .chargedAmount)
        try container.encode(iptAmount, forKey: .iptAmount)
        try container.encode(currency, forKey: .currency)
    }
}

/// Owns every SQL statement against the `cover` schema.
struct CoverStore: Sendable {
    let database: any PostgresQueryable

    func lockDriver(_ driverID: UUID) async throws {
        _ = try await database.query("SELECT pg_advisory_xact_lock(hashtextextended(\("cover:" + driverID.uuidString.lowercased()), 0))")
    }

    func manualShifts(of driverID: UUID, since: Date) async throws -> [(id: UUID, start: Date, end: Date?)] {
        try await database.queryAll("""
            SELECT id, started_at, ended_at FROM cover.manual_shifts
            WHERE driver_id = \(driverID) AND (ended_at IS NULL OR ended_at >= \(since))
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

    func sessions(of driverID: UUID, since: Date) async throws -> [SessionRecord] {
        try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE driver_id = \(driverID) AND status <> 'superseded' AND (ended_at IS NULL OR covered_until >= \(since))
            """, decode: SessionRecord.init(row:))
    }

    func upsert(driverID: UUID, policyID: UUID, session: CoverSession, rate: Int64) async throws -> SessionRecord {
        try await database.queryOne("""
            INSERT INTO cover.sessions (id, driver_id, policy_id, started_at, ended_at, covered_until, was_cut, status,
                                        billed_minutes, hourly_rate_amount)
            VALUES (\(UUID()), \(driverID), \(policyID), \(session.start), \(session.lastShiftEnd), \(session.coveredUntil),
                    \(session.wasCut), \(session.isClosed ? "closed" : "active"), \(Int32(session.billedMinutes)), \(rate))
            ON CONFLICT (driver_id, started_at) WHERE status <> 'superseded' DO UPDATE SET ended_at = EXCLUDED.ended_at, covered_until = EXCLUDED.covered_until,
                was_cut = EXCLUDED.was_cut, status = EXCLUDED.status, billed_minutes = EXCLUDED.billed_minutes, updated_at = now()
            RETURNING \(SessionRecord.columns)
            """, decode: SessionRecord.init(row:))
    }

    func recordCharge(_ id: UUID, charged: Int64, ipt: Int64) async throws {
        try await database.execute("UPDATE cover.sessions SET charged_amount = \(charged), ipt_amount = \(ipt) WHERE id = \(id)")
    }

    func supersede(_ id: UUID) async throws {
        try await database.execute("UPDATE cover.sessions SET status = 'superseded', charged_amount = 0, ipt_amount = 0 WHERE id = \(id)")
    }

    func session(_ id: UUID, driverID: UUID) async throws -> SessionRecord? {
        try await database.queryOptional("""
            SELECT \(SessionRecord.columns) FROM cover.sessions WHERE id = \(id) AND driver_id = \(driverID) AND status <> 'superseded'
            """, decode: SessionRecord.init(row:))
    }

    func sessions(ofPolicy policyID: UUID, driverID: UUID) async throws -> [SessionRecord] {
        try await database.queryAll("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE policy_id = \(policyID) AND driver_id = \(driverID) AND status <> 'superseded' ORDER BY started_at DESC LIMIT 200
            """, decode: SessionRecord.init(row:))
    }

    /// The session covering `instant`, from the recorded sessions.
    func covering(driverID: UUID, at instant: Date, now: Date) async throws -> SessionRecord? {
        try await database.queryOptional("""
            SELECT \(SessionRecord.columns) FROM cover.sessions
            WHERE driver_id = \(driverID) AND status <> 'superseded' AND started_at <= \(instant)
              AND (\(instant) < covered_until OR (status = 'active' AND ended_at IS NULL AND \(instant) <= \(now)))
            ORDER BY started_at DESC LIMIT 1
            """, decode: SessionRecord.init(row:))
    }

    func driversWithActiveSessions() async throws -> [UUID] {
        try await database.queryAll("SELECT DISTINCT driver_id FROM cover.sessions WHERE status = 'active'") { try $0.decode(UUID.self, at: 0) }
    }
}
