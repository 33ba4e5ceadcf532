public import AdminUI
import AppKernel
import Audit
public import Foundation

/// Notifications in the admin: driver 360's section with the driver's latest ten, read or
/// not, each linking to its page (`/admin/notifications/{id}`: what was told, when, whether it
/// was read, what it repeats and its resends, and the resend form for engineers). There is no
/// "undelivered" count: every notification is the in-app feed's, delivered when it is stored;
/// email and SMS delivery (an outbox that could fail) does not exist yet.
public struct NotificationsAdmin: AdminSection {
    let app: AppContext
    var store: NotificationsStore { NotificationsStore(database: app.database) }

    public var pages: [AdminPage] {
        [.get("/admin/notifications/{id}", .read) { try await show($0) }]
    }

    static func path(_ id: UUID) -> String { "/admin/notifications/\(id.uuidString.lowercased())" }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let notifications = try await store.latest(driverID: driverID, limit: 10)
        let table = AdminHTML.table(["Told", "Kind", "Title", "Message", "Read"], notifications.map { notification in
            [AdminHTML.link(Self.path(notification.id), AdminFormat.localText(notification.createdAt)), "<code>\(notification.kind)</code>", "\(notification.title)",
             "<span title=\"\(notification.id.uuidString.lowercased())\">\(notification.body)</span>",
             notification.readAt.map { AdminHTML.badge("read", .good) + " " + AdminFormat.time($0) } ?? AdminHTML.badge("not read", .warn)]
        }, empty: "Nothing told to this driver yet.")
        return AdminDriverContribution(panels: [AdminPanel(order: 100, wide: true, AdminHTML.section("Notifications", id: "notifications", table))])
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let record = try await store.record(try request.id()) else { throw AppError.notFound("no such notification") }
        let notification = record.notification
        let driver = record.driverID.uuidString.lowercased()
        var fields: [AdminHTML.Field] = [
            .init("Driver", AdminHTML.idLink("/admin/drivers/\(driver)", record.driverID)),
            .init("Kind", field: "kind", "<code>\(notification.kind)</code>"),
            .init("Title", field: "title", text: notification.title),
            .init("Message", field: "body", text: notification.body),
            .init("Told", field: "created_at", AdminFormat.time(notification.createdAt)),
            .init("Read", field: "read_at", notification.readAt.map { AdminHTML.badge("read", .good) + " " + AdminFormat.time($0) } ?? AdminHTML.badge("not read", .warn)),
            .init("Cause", text: record.cause),
        ]
        if let original = record.resentFrom {
            fields.append(.init("Resends", AdminHTML.link(Self.path(original), "notification \(AdminFormat.shortID(original))")))
        }
        let resends = try await store.resends(of: notification.id)
        let resent = AdminHTML.table(["Resent", "Notification", "Read"], resends.map { copy in
            [AdminFormat.time(copy.notification.createdAt), AdminHTML.idLink(Self.path(copy.notification.id), copy.notification.id),
             copy.notification.readAt.map { AdminHTML.badge("read", .good) + " " + AdminFormat.time($0) } ?? AdminHTML.badge("not read", .warn)]
        }, empty: "Not resent.")
        let form = AdminHTML.startForm(request, resendNotification, object: notification.id.uuidString.lowercased(), submit: "Resend")
        let history = try await Audit.historySection(of: [("notification", notification.id.uuidString.lowercased())], on: app.database)
        return .page(AdminView(title: "Notification: \(notification.title)",
                               body: AdminHTML.section("Notification", AdminHTML.fields(fields)) + AdminHTML.section("Resends", id: "resends", resent)
                                   + (form.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", form)) + history,
                               crumbs: [("Driver", "/admin/drivers/\(driver)")]))
    }
}
