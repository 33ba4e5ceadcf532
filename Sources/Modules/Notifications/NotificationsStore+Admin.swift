import AppKernel
import Foundation
import Postgres

/// The notifications schema's queries for the admin.
extension NotificationsStore {
    /// The driver's latest notifications, newest first.
    func latest(driverID: UUID, limit: Int) async throws -> [Notification] {
        try await database.queryAll("""
            SELECT \(Notification.columns) FROM notifications.notifications WHERE driver_id = \(driverID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Notification.init(row:))
    }
}
