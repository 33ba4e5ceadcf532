import AppKernel
import Foundation
import Postgres
import Rating

/// Owns every SQL statement against the `refunds` schema.
struct RefundsStore: Sendable {
    let database: any PostgresQueryable

    /// `ipt` defaults to the IPT in a refund of premium; `origin` is `policy` (one per policy)
    /// or `staff` (a staff refund of a card payment, any number up to what it took).
    func insert(id: UUID, driverID: UUID, subjectID: UUID, paymentID: UUID?, amount: Int64, ipt: Int64? = nil, destination: String,
                state: String, reason: String, origin: String = "policy", at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO refunds.refunds (id, driver_id, subject_id, payment_id, amount, ipt_amount, destination, state, reason,
                                         origin, created_at, completed_at)
            VALUES (\(id), \(driverID), \(subjectID), \(paymentID), \(amount), \(ipt ?? PremiumTax.ipt(ofGross: amount)), \(destination),
                    \(state), \(reason), \(origin), \(instant), \(state == "succeeded" ? instant : nil))
            """)
    }

    /// What refunds of a card payment have given back or are giving back (a failed one gave nothing).
    func refundedTotal(paymentID: UUID) async throws -> Int64 {
        try await database.queryValue("""
            SELECT coalesce(sum(amount), 0)::int8 FROM refunds.refunds WHERE payment_id = \(paymentID) AND state IN ('pending', 'succeeded')
            """, as: Int64.self)
    }

    func find(_ id: UUID, forUpdate: Bool = false) async throws -> Refund? {
        try await database.queryOptional("""
            SELECT \(Refund.columns) FROM refunds.refunds WHERE id = \(id) \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")
            """, decode: Refund.init(row:))
    }

    func refund(forSubject subjectID: UUID) async throws -> Refund? {
        try await database.queryOptional("SELECT \(Refund.columns) FROM refunds.refunds WHERE subject_id = \(subjectID) AND origin = 'policy'",
                                         decode: Refund.init(row:))
    }

    func markSucceeded(_ id: UUID, processorRefundID: String, at instant: Date) async throws {
        try await database.execute("""
            UPDATE refunds.refunds SET state = 'succeeded', completed_at = \(instant), psp_refund_id = \(processorRefundID)
            WHERE id = \(id) AND state = 'pending'
            """)
    }

    /// Pending or succeeded → failed (a succeeded one is no longer completed: it gave nothing
    /// back). True when the state changed.
    @discardableResult
    func markFailed(_ id: UUID, processorRefundID: String) async throws -> Bool {
        try await database.execute("""
            UPDATE refunds.refunds SET state = 'failed', completed_at = NULL, psp_refund_id = \(processorRefundID)
            WHERE id = \(id) AND state IN ('pending', 'succeeded')
            """) > 0
    }

    /// The processor accepted a refund and has not finished it (`pending`): it stays pending,
    /// with the processor's id, until the processor reports the outcome.
    func noteAccepted(_ id: UUID, processorRefundID: String) async throws {
        try await database.execute("""
            UPDATE refunds.refunds SET psp_refund_id = \(processorRefundID) WHERE id = \(id) AND state = 'pending'
            """)
    }

    /// Staff refunds of the driver's top-ups on their way to the card: cash that leaves the
    /// wallet when the processor confirms them.
    func pendingTopUpRefunds(driverID: UUID) async throws -> Int64 {
        try await database.queryValue("""
            SELECT coalesce(sum(amount), 0)::int8 FROM refunds.refunds
            WHERE driver_id = \(driverID) AND state = 'pending' AND origin = 'staff' AND subject_id = payment_id
            """, as: Int64.self)
    }

    /// Pending refunds to send (again): not those the processor accepted already, which wait for
    /// its report (sending them again could only repeat its first answer, or, once the processor
    /// forgot the idempotency key, refund twice).
    func pending(driverIDs: [UUID]?) async throws -> [UUID] {
        let filter: SQL = driverIDs.map { "AND driver_id = ANY(\($0))" } ?? ""
        return try await database.queryAll(
            "SELECT id FROM refunds.refunds WHERE state = 'pending' AND psp_refund_id IS NULL \(filter) ORDER BY created_at LIMIT 100") {
            try $0.decode(UUID.self, at: 0)
        }
    }
}
