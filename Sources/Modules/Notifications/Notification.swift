public import Foundation
import Postgres

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

    static let columns: SQL = "id, kind, title, body, created_at, read_at"
}
