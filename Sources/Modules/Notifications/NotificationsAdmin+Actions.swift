public import AdminUI
import AppKernel
import Audit
import Foundation
import Identity

/// Resending a notification (OPS.md action `resend_notification`; permission `operate`): a
/// new item of the driver's feed with the same kind, title and message, dated on the driver's
/// clock and unread, linked to the one it repeats; the original is kept as it was. Audited once,
/// on the original (its page and the driver's history show it).
extension NotificationsAdmin {
    public var actions: [AdminAction] { [resendNotification] }

    var resendNotification: AdminAction {
        AdminAction("resend_notification", title: "Resend a notification", permission: .resend, plan: { request in
            let id = try request.objectID()
            guard let record = try await store.record(id) else { throw AppError.notFound("no such notification") }
            let resends = try await store.resends(of: id)
            let notification = record.notification
            return AdminActionPlan(
                objectType: "notification", objectID: id.uuidString.lowercased(), driverID: record.driverID,
                effect: "Send “\(notification.title)” to this driver again: a new, unread notification in their feed. "
                    + "The original of \(AdminFormat.localText(notification.createdAt)) is kept as it is.",
                facts: [("Kind", notification.kind), ("Message", notification.body),
                        ("Original", notification.readAt == nil ? "not read" : "read \(AdminFormat.localText(notification.readAt!))"),
                        ("Resent before", resends.isEmpty ? "never" : "\(resends.count) time\(resends.count == 1 ? "" : "s"), last \(AdminFormat.localText(resends.last!.notification.createdAt))")],
                parameters: .object(["notification_id": .string(id.uuidString.lowercased())]),
                returnPath: Self.path(id))
        }, execute: { execution in
            let id = try execution.uuid("notification_id")
            let store = NotificationsStore(database: execution.transaction)
            guard let original = try await store.record(id) else { throw AppError.notFound("no such notification") }
            let before = try await store.resends(of: id).count
            let copy = UUID()
            // On the driver's clock, like every notification they get (a test clock in sandbox).
            let at = try await Identity(app: app).now(for: original.driverID, on: execution.transaction)
            guard try await store.insertResend(id: copy, of: original, cause: execution.cause, at: at) else {
                throw AppError.conflict("this resend was done already")
            }
            try await Audit.record("notifications.resent", AuditObject("notification", id, driver: original.driverID),
                                   before: .object(["resends": .integer(Int64(before))]),
                                   after: .object(["resends": .integer(Int64(before + 1)), "notification_id": .string(copy.uuidString.lowercased()),
                                                   "created_at": .string(RFC3339.format(at))]),
                                   on: execution.transaction)
            return AdminActionOutcome("Resent “\(original.notification.title)”: the driver has it again, unread, in their feed.", path: Self.path(copy))
        })
    }
}
