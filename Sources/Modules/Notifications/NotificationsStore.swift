import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `notifications` schema.
struct NotificationsStore: Sendable {
    let database: any PostgresQueryable

    func insert(driverID: UUID, kind: String, title: String, body: String, cause: String, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO notifications.notifications (id, driver_id, kind, title, body, cause, created_at)
            VALUES (\(UUID()), \(driverID), \(kind), \(title), \(body), \(cause), \(instant))
            ON CONFLICT (cause) DO NOTHING
            """)
    }

    func list(driverID: UUID, page: PageRequest) async throws -> [Notification] {
        try await database.queryAll("""
            SELECT \(Notification.columns) FROM notifications.notifications WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Notification.init(row:))
    }

    func markRead(_ id: UUID, driverID: UUID, at instant: Date) async throws -> Notification? {
        try await database.queryOptional("""
            UPDATE notifications.notifications SET read_at = coalesce(read_at, \(instant))
            WHERE id = \(id) AND driver_id = \(driverID) RETURNING \(Notification.columns)
            """, decode: Notification.init(row:))
    }
}
