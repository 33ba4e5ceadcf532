public import AppKernel
public import Foundation
import HTTPServer
public import Identity
public import Postgres

/// One thing we told a driver.
public struct Notification: Sendable, Encodable {
    public let id: UUID
    public let kind: String
    public let title: String
    public let body: String
    public let createdAt: Date
    public let readAt: Date?

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        kind = try row.decode(String.self, at: 1)
        title = try row.decode(String.self, at: 2)
        body = try row.decode(String.self, at: 3)
        createdAt = try row.decode(Date.self, at: 4)
        readAt = try row.decode(Date?.self, at: 5)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(title, forKey: .title)
        try container.encode(body, forKey: .body)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(readAt, forKey: .readAt)
    }

    enum CodingKeys: String, CodingKey { case id, kind, title, body, createdAt, readAt }
    static let columns: SQL = "id, kind, title, body, created_at, read_at"
}

/// The notifications module's public API.
public struct Notifications: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// Tells the driver something. `cause` identifies the event: telling twice is a no-op.
    public func notify(_ driverID: UUID, kind: String, title: String, body: String, cause: String, at instant: Date,
                       on database: (any PostgresQueryable)? = nil) async throws {
        try await (database ?? app.database).execute("""
            INSERT INTO notifications.notifications (id, driver_id, kind, title, body, cause, created_at)
            VALUES (\(UUID()), \(driverID), \(kind), \(title), \(body), \(cause), \(instant))
            ON CONFLICT (cause) DO NOTHING
            """)
    }
}

/// `GET /v1/notifications` (the in-app feed) and `POST /v1/notifications/{id}/read`.
public struct NotificationsModule: AppModule {
    public static let name = "notifications"
    let app: AppContext
    let identity: Identity

    public init(app: AppContext, identity: Identity) {
        self.app = app
        self.identity = identity
    }

    public func registerRoutes(on routes: RouteCollector) {
        let app = app, identity = identity
        routes.get("/v1/notifications") { request, context in
            let caller = try await identity.authenticate(request, context)
            let page = try PageRequest(query: request.query)
            let rows = try await app.database.queryAll("""
                SELECT \(Notification.columns) FROM notifications.notifications WHERE driver_id = \(caller.driverID) \(page.keysetCondition)
                ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
                """, decode: Notification.init(row:))
            let (items, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
            return try .json(ListResponse(data: items, nextCursor: next))
        }
        routes.post("/v1/notifications/{id}/read", bodyLimit: 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let id = try context.uuidParameter("id")
            guard let notification = try await app.database.queryOptional("""
                UPDATE notifications.notifications SET read_at = coalesce(read_at, \(caller.context.now))
                WHERE id = \(id) AND driver_id = \(caller.driverID) RETURNING \(Notification.columns)
                """, decode: Notification.init(row:))
            else { throw AppError.notFound("no notification \(id.uuidString.lowercased())") }
            return try .json(notification)
        }
    }
}
