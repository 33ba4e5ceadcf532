public import AppKernel
public import Foundation
public import Postgres

/// The thing an audit event is about: a type and an id (`policy`, `…`), and optionally the
/// object that owns it (the policy's driver), so a driver's history shows it.
public struct AuditObject: Sendable, Equatable {
    public let type: String
    public let id: String
    public let ownerType: String?
    public let ownerID: String?

    public init(_ type: String, _ id: String, owner: (type: String, id: String)? = nil) {
        self.type = type
        self.id = id
        ownerType = owner?.type
        ownerID = owner?.id
    }

    public init(_ type: String, _ id: UUID, driver: UUID? = nil) {
        self.init(type, id.uuidString.lowercased(), owner: driver.map { ("driver", $0.uuidString.lowercased()) })
    }

    public static func driver(_ id: UUID) -> AuditObject { AuditObject("driver", id) }
}

/// One row of the audit trail.
public struct AuditEvent: Sendable {
    public let id: UUID
    public let occurredAt: Date
    public let actor: String
    public let role: String?
    public let session: String?
    public let clientAddress: String?
    public let action: String
    public let objectType: String
    public let objectID: String
    public let ownerType: String?
    public let ownerID: String?
    public let before: JSONValue?
    public let after: JSONValue?
    public let reasonCode: String?
    public let reasonText: String?
    public let approvalID: UUID?
    public let requestID: String?

    static let columns: SQL = """
        id, occurred_at, actor, role, session, client_address, action, object_type, object_id, owner_type, owner_id,
        before::text, after::text, reason_code, reason_text, approval_id, request_id
        """

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        occurredAt = try row.decode(Date.self, at: 1)
        actor = try row.decode(String.self, at: 2)
        role = try row.decode(String?.self, at: 3)
        session = try row.decode(String?.self, at: 4)
        clientAddress = try row.decode(String?.self, at: 5)
        action = try row.decode(String.self, at: 6)
        objectType = try row.decode(String.self, at: 7)
        objectID = try row.decode(String.self, at: 8)
        ownerType = try row.decode(String?.self, at: 9)
        ownerID = try row.decode(String?.self, at: 10)
        before = try row.decode(String?.self, at: 11).flatMap { try? JSON.decode(JSONValue.self, from: Array($0.utf8)) }
        after = try row.decode(String?.self, at: 12).flatMap { try? JSON.decode(JSONValue.self, from: Array($0.utf8)) }
        reasonCode = try row.decode(String?.self, at: 13)
        reasonText = try row.decode(String?.self, at: 14)
        approvalID = try row.decode(UUID?.self, at: 15)
        requestID = try row.decode(String?.self, at: 16)
    }
}
