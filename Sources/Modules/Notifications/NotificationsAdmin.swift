public import AdminUI
import AppKernel
public import Foundation

/// Notifications in the admin: driver 360's section with the driver's latest ten, read or
/// not. There is no "undelivered" count: every notification is the in-app feed's, delivered
/// when it is stored; email and SMS delivery (an outbox that could fail) does not exist yet.
public struct NotificationsAdmin: AdminSection {
    let app: AppContext

    public var pages: [AdminPage] { [] }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let notifications = try await NotificationsStore(database: app.database).latest(driverID: driverID, limit: 10)
        let table = AdminHTML.table(["Told", "Kind", "Title", "Message", "Read"], notifications.map { notification in
            [AdminFormat.time(notification.createdAt), "<code>\(notification.kind)</code>", "\(notification.title)",
             "<span title=\"\(notification.id.uuidString.lowercased())\">\(notification.body)</span>",
             notification.readAt.map { AdminHTML.badge("read", .good) + " " + AdminFormat.time($0) } ?? AdminHTML.badge("not read", .warn)]
        }, empty: "Nothing told to this driver yet.")
        return AdminDriverContribution(panels: [AdminPanel(order: 100, wide: true, AdminHTML.section("Notifications", id: "notifications", table))])
    }
}
