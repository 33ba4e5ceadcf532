import AdminUI
import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `admin` schema: action requests and approvals.
struct AdminStore: Sendable {
    let database: any PostgresQueryable

    enum State: String, Sendable {
        case planned, done, pendingApproval = "pending_approval", approved, rejected, expired
    }

    /// One action asked for, as stored.
    struct ActionRequest: Sendable {
        let id: UUID
        let action: String
        let title: String
        let makerID: UUID
        let makerRole: String
        let objectType: String
        let objectID: String
        let driverID: UUID?
        let effect: String
        let facts: [(String, String)]
        let parameters: JSONValue
        let reason: AdminReasonCode
        let note: String?
        let fourEyes: String?
        let returnPath: String
        let state: State
        let createdAt: Date
        let expiresAt: Date
        let filedAt: Date?
        let checkerID: UUID?
        let checkerRole: String?
        let checkerNote: String?
        let decidedAt: Date?
        let resultMessage: String?
        let resultPath: String?
        let makerName: String
        let checkerName: String?
        /// The four-eyes limit's amount, group and threshold, when the action has one.
        let amount: Int64?
        let limitGroup: String?
        let limitOver: Int64?
        /// The maker's account now: locked, and their role now (approval re-checks both).
        let makerLocked: Bool
        let makerRoleNow: String
    }

    static let columns: SQL = """
        r.id, r.action, r.title, r.maker_id, r.maker_role, r.object_type, r.object_id, r.driver_id, r.effect, r.facts::text,
        r.parameters::text, r.reason_code, r.reason_text, r.four_eyes, r.return_path, r.state, r.created_at, r.expires_at, r.filed_at,
        r.checker_id, r.checker_role, r.checker_note, r.decided_at, r.result_message, r.result_path, m.name, c.name,
        r.amount, r.limit_group, r.limit_over, m.disabled_at IS NOT NULL, m.role
        """
    static let from: SQL = """
        FROM admin.action_requests r JOIN identity.staff m ON m.id = r.maker_id LEFT JOIN identity.staff c ON c.id = r.checker_id
        """

    static func decode(_ row: PostgresRow) throws -> ActionRequest {
        let facts = (try? JSON.decode([[String]].self, from: Array(try row.decode(String.self, at: 9).utf8))) ?? []
        return ActionRequest(
            id: try row.decode(UUID.self, at: 0), action: try row.decode(String.self, at: 1), title: try row.decode(String.self, at: 2),
            makerID: try row.decode(UUID.self, at: 3), makerRole: try row.decode(String.self, at: 4),
            objectType: try row.decode(String.self, at: 5), objectID: try row.decode(String.self, at: 6),
            driverID: try row.decode(UUID?.self, at: 7), effect: try row.decode(String.self, at: 8),
            facts: facts.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil },
            parameters: try JSON.decode(JSONValue.self, from: Array(try row.decode(String.self, at: 10).utf8)),
            reason: AdminReasonCode(rawValue: try row.decode(String.self, at: 11)) ?? .other, note: try row.decode(String?.self, at: 12),
            fourEyes: try row.decode(String?.self, at: 13), returnPath: try row.decode(String.self, at: 14),
            state: State(rawValue: try row.decode(String.self, at: 15)) ?? .expired, createdAt: try row.decode(Date.self, at: 16),
            expiresAt: try row.decode(Date.self, at: 17), filedAt: try row.decode(Date?.self, at: 18),
            checkerID: try row.decode(UUID?.self, at: 19), checkerRole: try row.decode(String?.self, at: 20),
            checkerNote: try row.decode(String?.self, at: 21), decidedAt: try row.decode(Date?.self, at: 22),
            resultMessage: try row.decode(String?.self, at: 23), resultPath: try row.decode(String?.self, at: 24),
            makerName: try row.decode(String.self, at: 25), checkerName: try row.decode(String?.self, at: 26),
            amount: try row.decode(Int64?.self, at: 27), limitGroup: try row.decode(String?.self, at: 28), limitOver: try row.decode(Int64?.self, at: 29),
            makerLocked: try row.decode(Bool.self, at: 30), makerRoleNow: try row.decode(String.self, at: 31))
    }

    func insert(id: UUID, action: AdminAction, maker: StaffCaller, plan: AdminActionPlan, reason: AdminReasonCode, note: String?,
                now: Date, expiresAt: Date) async throws {
        let facts = String(decoding: try JSON.encode(plan.facts.map { [$0.0, $0.1] }), as: UTF8.self)
        let parameters = String(decoding: try JSON.encode(plan.parameters), as: UTF8.self)
        try await database.execute("""
            INSERT INTO admin.action_requests (id, action, title, maker_id, maker_role, object_type, object_id, driver_id, effect, facts,
                                               parameters, reason_code, reason_text, four_eyes, return_path, state, created_at, expires_at,
                                               amount, limit_group, limit_over)
            VALUES (\(id), \(action.name), \(action.title), \(maker.id), \(maker.role), \(plan.objectType), \(plan.objectID), \(plan.driverID),
                    \(plan.effect), \(facts)::jsonb, \(parameters)::jsonb, \(reason.rawValue), \(note), \(plan.fourEyes), \(plan.returnPath),
                    'planned', \(now), \(expiresAt), \(plan.limit?.amount), \(plan.limit?.group), \(plan.limit?.over))
            """)
    }

    func request(_ id: UUID, lock: Bool = false) async throws -> ActionRequest? {
        let locking: SQL = lock ? "FOR UPDATE OF r" : ""
        return try await database.queryOptional("SELECT \(Self.columns) \(Self.from) WHERE r.id = \(id) \(locking)", decode: Self.decode)
    }

    /// What the maker did or filed in `group` for this driver since `since` (not counting `except`).
    func recentAmount(maker: UUID, group: String, driverID: UUID?, since: Date, except: UUID? = nil) async throws -> Int64 {
        try await database.queryOne("""
            SELECT coalesce(sum(amount), 0)::int8 FROM admin.action_requests
            WHERE maker_id = \(maker) AND limit_group = \(group) AND driver_id IS NOT DISTINCT FROM \(driverID) AND created_at >= \(since)
              AND state IN ('done', 'pending_approval', 'approved') AND id IS DISTINCT FROM \(except)
            """) { try $0.decode(Int64.self, at: 0) }
    }

    /// Serializes a maker's confirmations in one limit group for one driver (so two at once
    /// cannot both pass the limit), until the transaction ends.
    func lockLimit(maker: UUID, group: String, driverID: UUID?) async throws {
        let key = "admin-limit:\(maker.uuidString):\(group):\(driverID?.uuidString ?? "-")"
        try await database.execute("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))")
    }

    /// Confirming found the limit passed after all: the request needs approval.
    func requireApproval(_ id: UUID, reason: String) async throws {
        try await database.execute("UPDATE admin.action_requests SET four_eyes = \(reason) WHERE id = \(id) AND state = 'planned'")
    }

    func markDone(_ id: UUID, outcome: AdminActionOutcome) async throws {
        try await database.execute("""
            UPDATE admin.action_requests SET state = 'done', result_message = \(outcome.message), result_path = \(outcome.path)
            WHERE id = \(id) AND state = 'planned'
            """)
    }

    func file(_ id: UUID, now: Date, expiresAt: Date) async throws {
        try await database.execute("""
            UPDATE admin.action_requests SET state = 'pending_approval', filed_at = \(now), expires_at = \(expiresAt)
            WHERE id = \(id) AND state = 'planned'
            """)
    }

    func decide(_ id: UUID, state: State, checker: StaffCaller?, note: String?, now: Date, outcome: AdminActionOutcome?) async throws {
        try await database.execute("""
            UPDATE admin.action_requests
            SET state = \(state.rawValue), checker_id = \(checker?.id), checker_role = \(checker?.role), checker_note = \(note),
                decided_at = \(now), result_message = \(outcome?.message), result_path = \(outcome?.path)
            WHERE id = \(id) AND state = 'pending_approval'
            """)
    }

    enum Inbox: String, CaseIterable, Sendable { case pending, mine, decided }

    /// Approvals for the inbox, newest first (at most `limit`).
    func approvals(_ inbox: Inbox, staff: UUID, limit: Int) async throws -> [ActionRequest] {
        let condition: SQL = switch inbox {
        case .pending: "r.state = 'pending_approval' ORDER BY r.filed_at DESC, r.id DESC"
        case .mine: "r.maker_id = \(staff) AND r.filed_at IS NOT NULL ORDER BY r.filed_at DESC, r.id DESC"
        case .decided: "r.decided_at IS NOT NULL ORDER BY r.decided_at DESC, r.id DESC"
        }
        return try await database.queryAll("SELECT \(Self.columns) \(Self.from) WHERE \(condition) LIMIT \(limit)", decode: Self.decode)
    }

    func pendingCount(cap: Int) async throws -> Int {
        try await database.queryOne("""
            SELECT count(*)::int8 FROM (SELECT 1 FROM admin.action_requests WHERE state = 'pending_approval' LIMIT \(cap)) AS capped
            """) { Int(try $0.decode(Int64.self, at: 0)) }
    }
}

/// Internal notes on a driver.
extension AdminStore {
    struct Note: Sendable {
        let text: String
        let author: String
        let role: String
        let createdAt: Date
    }

    func insertNote(driverID: UUID, text: String, authorID: UUID, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO admin.notes (id, driver_id, text, author_id, created_at) VALUES (\(UUID()), \(driverID), \(text), \(authorID), \(instant))
            """)
    }

    func notes(driverID: UUID, limit: Int) async throws -> [Note] {
        try await database.queryAll("""
            SELECT n.text, s.name, s.role, n.created_at FROM admin.notes n JOIN identity.staff s ON s.id = n.author_id
            WHERE n.driver_id = \(driverID) ORDER BY n.created_at DESC, n.id DESC LIMIT \(limit)
            """) { Note(text: try $0.decode(String.self, at: 0), author: try $0.decode(String.self, at: 1), role: try $0.decode(String.self, at: 2),
                        createdAt: try $0.decode(Date.self, at: 3)) }
    }

    /// The driver's email, to name them on confirmation and approval pages.
    func driverEmail(_ id: UUID) async throws -> String? {
        try await database.queryOptional("SELECT email FROM identity.users WHERE id = \(id)") { try $0.decode(String.self, at: 0) }
    }

    func driverExists(_ id: UUID) async throws -> Bool {
        try await database.queryOptional("SELECT 1 FROM identity.users WHERE id = \(id)") { _ in true } ?? false
    }
}
