public import Foundation
import Postgres

/// A member of staff's account (never the secrets).
public struct StaffMember: Sendable, Equatable, Encodable {
    public let id: UUID
    public let email: String
    public let name: String
    public let role: StaffRole
    public let hasPassword: Bool
    public let disabledAt: Date?
    public let createdAt: Date

    static let columns: SQL = "id, email, name, role, password_hash IS NOT NULL, disabled_at, created_at"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        email = try row.decode(String.self, at: 1)
        name = try row.decode(String.self, at: 2)
        role = StaffRole(rawValue: try row.decode(String.self, at: 3)) ?? .support
        hasPassword = try row.decode(Bool.self, at: 4)
        disabledAt = try row.decode(Date?.self, at: 5)
        createdAt = try row.decode(Date.self, at: 6)
    }
}

/// One admin session as staff see it in their session list.
public struct StaffSession: Sendable {
    public let idHash: [UInt8]
    public let createdAt: Date
    public let lastSeenAt: Date
    public let verifiedAt: Date?
    public let clientAddress: String
    public let userAgent: String
    public let endedAt: Date?
    public let endedReason: String?

    /// The id shown and used in URLs: the first half of the stored hash (never the cookie).
    public var publicID: String { String(idHash.hexString.prefix(32)) }

    init(row: PostgresRow) throws {
        idHash = Array(try row.decode(Data.self, at: 0))
        createdAt = try row.decode(Date.self, at: 1)
        lastSeenAt = try row.decode(Date.self, at: 2)
        verifiedAt = try row.decode(Date?.self, at: 3)
        clientAddress = try row.decode(String.self, at: 4)
        userAgent = try row.decode(String.self, at: 5)
        endedAt = try row.decode(Date?.self, at: 6)
        endedReason = try row.decode(String?.self, at: 7)
    }
}

import Cryptography
