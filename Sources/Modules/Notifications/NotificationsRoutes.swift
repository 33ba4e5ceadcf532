import AppKernel
import Foundation
import HTTPServer

/// `GET /v1/notifications` (the in-app feed) and `POST /v1/notifications/{id}/read`.
struct NotificationsRoutes: Sendable {
    let app: AppContext
    var store: NotificationsStore { NotificationsStore(database: app.database) }

    static let notification = SchemaComponent("Notification", description: "Something we told the driver", .object(
        .required("id", .uuid),
        .required("kind", .string, "cover_paused, cover_resumed, session_cut, auto_top_up_failed, …"),
        .required("title", .string),
        .required("body", .string),
        .required("created_at", .dateTime),
        .required("read_at", Schema.dateTime.orNull)))

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.get, "/v1/notifications", id: "listNotifications", "What we told the driver, newest first", tag: "notifications",
                     access: .driver, query: QueryParameter.pagination,
                     responses: [.json(200, "A page of notifications", .page(of: Self.notification))],
                     handler: { try await routes.list($0) }),
            Endpoint(.post, "/v1/notifications/{id}/read", id: "markNotificationRead", "Mark a notification read", tag: "notifications",
                     access: .driver, responses: [.json(200, "The notification", Self.notification.ref)],
                     handler: { try await routes.markRead($0) }),
        ]
    }

    func list(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let (items, next) = page.page(try await store.list(driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: items, nextCursor: next))
    }

    func markRead(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        guard let notification = try await store.markRead(id, driverID: call.driverID, at: call.now) else {
            throw AppError.notFound("no notification \(id.uuidString.lowercased())")
        }
        return try .json(notification)
    }
}
