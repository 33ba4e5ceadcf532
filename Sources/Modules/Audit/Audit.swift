public import AppKernel
public import Foundation
public import Postgres

/// The audit module's public API. `record` is called by the code that makes a change, on the
/// same transaction (or connection) as the change, so the two commit or fail together; the
/// acting party comes from the task's `AuditContext`.
public enum Audit {
    /// Records `action` (`<module>.<verb>`, e.g. `policies.cancelled`) on `object`.
    public static func record(_ action: String, _ object: AuditObject, before: JSONValue? = nil, after: JSONValue? = nil,
                              reason: (code: String, text: String?)? = nil, approvalID: UUID? = nil,
                              on database: any PostgresQueryable) async throws {
        let context = AuditContext.current
        try await AuditStore(database: database).insert(
            id: UUID(), context: context, action: action, object: object, before: before, after: after,
            reasonCode: reason?.code ?? context.reasonCode, reasonText: reason == nil ? context.reasonText : reason?.text,
            approvalID: approvalID ?? context.approvalID)
    }

    /// `record` with any Encodable snapshot as before and after.
    public static func record<Before: Encodable, After: Encodable>(_ action: String, _ object: AuditObject, before: Before?, after: After?,
                                                                   reason: (code: String, text: String?)? = nil,
                                                                   on database: any PostgresQueryable) async throws {
        try await record(action, object, before: try before.map(snapshot), after: try after.map(snapshot), reason: reason, on: database)
    }

    /// An Encodable value as the JSON the trail keeps.
    public static func snapshot<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSON.decode(JSONValue.self, from: try JSON.encode(value))
    }

    /// The history of objects (and of what they own), newest first.
    public static func history(of objects: [(type: String, id: String)], limit: Int = 50,
                               on database: any PostgresQueryable) async throws -> [AuditEvent] {
        try await AuditStore(database: database).history(of: objects, limit: limit)
    }
}
