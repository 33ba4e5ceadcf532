import AppKernel
import Audit
import Foundation
import Postgres

extension Policy {
    /// What the audit trail keeps of a policy before and after a change.
    var auditSnapshot: JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(RFC3339.format($0)) } ?? .null }
        return .object([
            "number": .string(number), "status": .string(status.rawValue), "product": .string(product),
            "starts_at": time(startsAt), "ends_at": time(endsAt), "paid_at": time(paidAt), "cancelled_at": time(cancelledAt),
            "deactivated_at": time(deactivatedAt),
            "total_amount": .integer(totalAmount), "refund_amount": .integer(refundAmount), "funding": funding.map(JSONValue.string) ?? .null,
        ])
    }

    var auditObject: AuditObject { AuditObject("policy", id, driver: driverId) }

    /// Records `action` on this policy in the caller's transaction.
    func audit(_ action: String, before: Policy? = nil, on transaction: any PostgresQueryable) async throws {
        try await Audit.record(action, auditObject, before: before?.auditSnapshot, after: auditSnapshot, on: transaction)
    }
}
