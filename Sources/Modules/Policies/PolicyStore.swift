import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `policies` schema.
struct PolicyStore: Sendable {
    let database: any PostgresQueryable

    func insert(_ policy: Policy) async throws {
        try await database.execute("""
            INSERT INTO policies.policies (id, number, driver_id, vehicle_id, quote_id, product, usage, status, starts_at,
                                           ends_at, hourly_rate_amount, total_amount, created_at, funding)
            VALUES (\(policy.id), \(policy.number), \(policy.driverId), \(policy.vehicleId), \(policy.quoteId),
                    \(policy.product), \(policy.usage), \(policy.status.rawValue), \(policy.startsAt), \(policy.endsAt),
                    \(policy.hourlyRateAmount), \(policy.totalAmount), \(policy.createdAt), \(policy.funding))
            """)
    }

    /// A policy only if it belongs to `driverID`.
    func find(id: UUID, driverID: UUID, forUpdate: Bool = false) async throws -> Policy? {
        try await database.queryOptional("""
            SELECT \(Policy.columns) FROM policies.policies WHERE id = \(id) AND driver_id = \(driverID)
            \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")
            """, decode: Policy.init(row:))
    }

    func list(driverID: UUID, page: PageRequest) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Policy.init(row:))
    }

    /// Cancels, recording what is refunded (the refund itself lives in the refunds module).
    func cancel(id: UUID, at instant: Date, refundAmount: Int64 = 0) async throws -> Policy {
        try await database.queryOne("""
            UPDATE policies.policies SET status = 'cancelled', cancelled_at = \(instant), refund_amount = \(refundAmount)
            WHERE id = \(id) RETURNING \(Policy.columns)
            """, decode: Policy.init(row:))
    }

    func find(id: UUID) async throws -> Policy? {
        try await database.queryOptional("SELECT \(Policy.columns) FROM policies.policies WHERE id = \(id) FOR UPDATE",
                                         decode: Policy.init(row:))
    }

    func attachPayment(_ paymentID: UUID, to policyID: UUID) async throws {
        try await database.execute("UPDATE policies.policies SET payment_id = \(paymentID) WHERE id = \(policyID)")
    }

    func setStatus(_ status: PolicyStatus, of policyID: UUID, cancelledAt: Date? = nil) async throws {
        try await database.execute("""
            UPDATE policies.policies SET status = \(status.rawValue), cancelled_at = \(cancelledAt) WHERE id = \(policyID)
            """)
    }

    func setRefundAmount(_ amount: Int64, of policyID: UUID) async throws {
        try await database.execute("UPDATE policies.policies SET refund_amount = \(amount) WHERE id = \(policyID)")
    }
}
