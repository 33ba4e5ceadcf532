import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `audit` schema.
struct AuditStore: Sendable {
    let database: any PostgresQueryable

    func insert(id: UUID, context: AuditContext, action: String, object: AuditObject, before: JSONValue?, after: JSONValue?,
                reasonCode: String?, reasonText: String?, approvalID: UUID?) async throws {
        let beforeText = try before.map { String(decoding: try JSON.encode($0), as: UTF8.self) }
        let afterText = try after.map { String(decoding: try JSON.encode($0), as: UTF8.self) }
        try await database.execute("""
            INSERT INTO audit.events (id, actor, role, session, client_address, action, object_type, object_id, owner_type, owner_id,
                                      before, after, reason_code, reason_text, approval_id, request_id)
            VALUES (\(id), \(context.actor), \(context.role), \(context.session), \(context.clientAddress), \(action), \(object.type),
                    \(object.id), \(object.ownerType), \(object.ownerID), \(beforeText)::jsonb, \(afterText)::jsonb, \(reasonCode),
                    \(reasonText), \(approvalID), \(context.requestID))
            """)
    }

    func history(of objects: [(type: String, id: String)], limit: Int) async throws -> [AuditEvent] {
        guard !objects.isEmpty else { return [] }
        let types = objects.map(\.type), ids = objects.map(\.id)
        // The newest `limit` of each object's own events and of what it owns, each from its index,
        // then the newest `limit` of those: a driver with 20,000 events costs what one with 20 does.
        return try await database.queryAll("""
            WITH wanted AS (SELECT * FROM unnest(\(types)::text[], \(ids)::text[]) AS w(type, id)),
            hits AS (
                SELECT x.event_id, x.at FROM wanted w CROSS JOIN LATERAL (
                    (SELECT id AS event_id, occurred_at AS at FROM audit.events
                     WHERE object_type = w.type AND object_id = w.id ORDER BY occurred_at DESC, id DESC LIMIT \(limit))
                    UNION ALL
                    (SELECT id, occurred_at FROM audit.events
                     WHERE owner_type = w.type AND owner_id = w.id ORDER BY occurred_at DESC, id DESC LIMIT \(limit))) x),
            newest AS (SELECT DISTINCT event_id, at FROM hits ORDER BY at DESC, event_id DESC LIMIT \(limit))
            SELECT \(AuditEvent.columns) FROM audit.events WHERE id IN (SELECT event_id FROM newest)
            ORDER BY occurred_at DESC, id DESC
            """, decode: AuditEvent.init(row:))
    }

    struct Filter {
        var actor: String?
        var objectType: String?
        var objectID: String?
        var action: String?
        var from: Date?
        var until: Date?
    }

    /// A page of the trail, newest first, after `(occurred_at, id)` of the cursor.
    func search(_ filter: Filter, page: PageRequest) async throws -> [AuditEvent] {
        // Typed as SQL: a String here would be bound as a value (and be a syntax error).
        let keyset: SQL = page.after.map { "AND (occurred_at, id) < (\($0.createdAt), \($0.id))" } ?? ""
        return try await database.queryAll("""
            SELECT \(AuditEvent.columns) FROM audit.events
            WHERE (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
              AND (\(filter.objectType)::text IS NULL OR object_type = \(filter.objectType) OR owner_type = \(filter.objectType))
              AND (\(filter.objectID)::text IS NULL OR object_id = \(filter.objectID) OR owner_id = \(filter.objectID))
              AND (\(filter.action)::text IS NULL OR action LIKE \(filter.action.map { $0 + "%" }))
              AND (\(filter.from)::timestamptz IS NULL OR occurred_at >= \(filter.from))
              AND (\(filter.until)::timestamptz IS NULL OR occurred_at < \(filter.until))
              \(keyset)
            ORDER BY occurred_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: AuditEvent.init(row:))
    }

    func find(id: UUID) async throws -> AuditEvent? {
        try await database.queryOptional("SELECT \(AuditEvent.columns) FROM audit.events WHERE id = \(id)", decode: AuditEvent.init(row:))
    }
}
