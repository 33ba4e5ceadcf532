public import AppKernel
public import Foundation
public import Postgres

/// The notifications module's public API.
public struct Notifications: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// Tells the driver something. `cause` identifies the event: telling twice is a no-op.
    public func notify(_ driverID: UUID, kind: String, title: String, body: String, cause: String, at instant: Date,
                       on database: (any PostgresQueryable)? = nil) async throws {
        try await NotificationsStore(database: database ?? app.database)
            .insert(driverID: driverID, kind: kind, title: title, body: body, cause: cause, at: instant)
    }
}
