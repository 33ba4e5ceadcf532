import AppKernel
import Foundation
import Postgres

/// One notification as the admin shows it: the feed's fields, whose it is, what caused it and
/// which notification it repeats (a resend).
struct NotificationRecord: Sendable {
    let notification: Notification
    let driverID: UUID
    let cause: String
    let resentFrom: UUID?

    static let columns: SQL = "id, kind, title, body, created_at, read_at, driver_id, cause, resent_from"

    init(row: PostgresRow) throws {
        notification = try Notification(row: row)
        driverID = try row.decode(UUID.self, at: 6)
        cause = try row.decode(String.self, at: 7)
        resentFrom = try row.decode(UUID?.self, at: 8)
    }
}

/// The notifications schema's queries for the admin.
extension NotificationsStore {
    /// The driver's latest notifications, newest first.
    func latest(driverID: UUID, limit: Int) async throws -> [Notification] {
        try await database.queryAll("""
            SELECT \(Notification.columns) FROM notifications.notifications WHERE driver_id = \(driverID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Notification.init(row:))
    }

    func record(_ id: UUID) async throws -> NotificationRecord? {
        try await database.queryOptional("SELECT \(NotificationRecord.columns) FROM notifications.notifications WHERE id = \(id)",
                                         decode: NotificationRecord.init(row:))
    }

    /// The resends of a notification, oldest first.
    func resends(of id: UUID, limit: Int = 50) async throws -> [NotificationRecord] {
        try await database.queryAll("""
            SELECT \(NotificationRecord.columns) FROM notifications.notifications WHERE resent_from = \(id) ORDER BY created_at, id LIMIT \(limit)
            """, decode: NotificationRecord.init(row:))
    }

    /// A new notification repeating `original` (a new item of the feed, unread); the original
    /// stays as it was. `cause` makes a second insert for the same resend a no-op.
    func insertResend(id: UUID, of original: NotificationRecord, cause: String, at instant: Date) async throws -> Bool {
        try await database.execute("""
            INSERT INTO notifications.notifications (id, driver_id, kind, title, body, cause, created_at, resent_from)
            VALUES (\(id), \(original.driverID), \(original.notification.kind), \(original.notification.title), \(original.notification.body),
                    \(cause), \(instant), \(original.notification.id))
            ON CONFLICT (cause) DO NOTHING
            """) == 1
    }
}
