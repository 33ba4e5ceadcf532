import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `policies` schema.
struct PoliciesStore: Sendable {
    let database: any PostgresQueryable

    func insert(_ policy: Policy) async throws {
        try await database.execute("""
            INSERT INTO policies.policies (id, number, driver_id, vehicle_id, quote_id, product, usage, status, starts_at,
                                           ends_at, hourly_rate_amount, total_amount, created_at, funding, paid_at)
            VALUES (\(policy.id), \(policy.number), \(policy.driverId), \(policy.vehicleId), \(policy.quoteId),
                    \(policy.product), \(policy.usage), \(policy.status.rawValue), \(policy.startsAt), \(policy.endsAt),
                    \(policy.hourlyRateAmount), \(policy.totalAmount), \(policy.createdAt), \(policy.funding), \(policy.paidAt))
            """)
    }

    /// A policy only if it belongs to `driverID`.
    func find(id: UUID, driverID: UUID, forUpdate: Bool = false) async throws -> Policy? {
        try await database.queryOptional("""
            SELECT \(Policy.columns) FROM policies.policies WHERE id = \(id) AND driver_id = \(driverID)
            \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")
            """, decode: Policy.init(row:))
    }

    /// Any driver's policy, locked for the caller's transaction (payment outcomes).
    func find(id: UUID) async throws -> Policy? {
        try await database.queryOptional("SELECT \(Policy.columns) FROM policies.policies WHERE id = \(id) FOR UPDATE",
                                         decode: Policy.init(row:))
    }

    func list(driverID: UUID, page: PageRequest) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Policy.init(row:))
    }

    /// The driver's PAYG policy in force (at most one: a unique index says so).
    func paygInForce(driverID: UUID) async throws -> Policy? {
        try await database.queryOptional("""
            SELECT \(Policy.columns) FROM policies.policies
            WHERE driver_id = \(driverID) AND product = 'payg' AND status IN ('active', 'paused')
            """, decode: Policy.init(row:))
    }

    /// The driver's paid hourly blocks whose cover window contains `instant`.
    func blocks(driverID: UUID, covering instant: Date) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies
            WHERE driver_id = \(driverID) AND product = 'hourly' AND paid_at IS NOT NULL
              AND greatest(starts_at, paid_at) <= \(instant) AND \(instant) < ends_at
              AND (cancelled_at IS NULL OR \(instant) < cancelled_at)
            ORDER BY starts_at
            """, decode: Policy.init(row:))
    }

    /// Cancels, recording what is refunded (the refund itself lives in the refunds module).
    func cancel(id: UUID, at instant: Date, refundAmount: Int64 = 0) async throws -> Policy {
        try await database.queryOne("""
            UPDATE policies.policies SET status = 'cancelled', cancelled_at = \(instant), refund_amount = \(refundAmount)
            WHERE id = \(id) RETURNING \(Policy.columns)
            """, decode: Policy.init(row:))
    }

    /// Takes a PAYG policy out of force for good (staff; see `PolicyLifecycle.deactivate`).
    func deactivate(id: UUID, at instant: Date) async throws -> Policy {
        try await database.queryOne("""
            UPDATE policies.policies SET status = 'deactivated', deactivated_at = \(instant)
            WHERE id = \(id) RETURNING \(Policy.columns)
            """, decode: Policy.init(row:))
    }

    func attachPayment(_ paymentID: UUID, to policyID: UUID) async throws {
        try await database.execute("UPDATE policies.policies SET payment_id = \(paymentID) WHERE id = \(policyID)")
    }

    /// A block's payment succeeded at `paidAt`: it is scheduled for `[startsAt, endsAt)`.
    func markPaid(_ policyID: UUID, paidAt: Date, startsAt: Date, endsAt: Date) async throws -> Policy {
        try await database.queryOne("""
            UPDATE policies.policies SET status = 'scheduled', paid_at = \(paidAt), starts_at = \(startsAt), ends_at = \(endsAt)
            WHERE id = \(policyID) RETURNING \(Policy.columns)
            """, decode: Policy.init(row:))
    }

    /// A block whose payment came after its period ended: expired, and what it took owed back.
    func expireUnpaid(_ policyID: UUID, refundAmount: Int64) async throws {
        try await database.execute("""
            UPDATE policies.policies SET status = 'expired', refund_amount = \(refundAmount) WHERE id = \(policyID)
            """)
    }

    func setRefundAmount(_ amount: Int64, of policyID: UUID) async throws {
        try await database.execute("UPDATE policies.policies SET refund_amount = \(amount) WHERE id = \(policyID)")
    }
}
