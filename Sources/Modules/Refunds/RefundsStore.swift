import AppKernel
import Foundation
import Postgres
import Rating

/// Owns every SQL statement against the `refunds` schema.
struct RefundsStore: Sendable {
    let database: any PostgresQueryable

    func insert(id: UUID, driverID: UUID, subjectID: UUID, paymentID: UUID?, amount: Int64, destination: String,
                state: String, reason: String, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO refunds.refunds (id, driver_id, subject_id, payment_id, amount, ipt_amount, destination, state, reason,
                                         created_at, completed_at)
            VALUES (\(id), \(driverID), \(subjectID), \(paymentID), \(amount), \(PremiumTax.ipt(ofGross: amount)), \(destination),
                    \(state), \(reason), \(instant), \(state == "succeeded" ? instant : nil))
            """)
    }

    func find(_ id: UUID, forUpdate: Bool = false) async throws -> Refund? {
        try await database.queryOptional("""
            SELECT \(Refund.columns) FROM refunds.refunds WHERE id = \(id) \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")
            """, decode: Refund.init(row:))
    }

    func refund(forSubject subjectID: UUID) async throws -> Refund? {
        try await database.queryOptional("SELECT \(Refund.columns) FROM refunds.refunds WHERE subject_id = \(subjectID)",
                                         decode: Refund.init(row:))
    }

    func markSucceeded(_ id: UUID, processorRefundID: String, at instant: Date) async throws {
        try await database.execute("""
            UPDATE refunds.refunds SET state = 'succeeded', completed_at = \(instant), psp_refund_id = \(processorRefundID)
            WHERE id = \(id) AND state = 'pending'
            """)
    }

    func markFailed(_ id: UUID, processorRefundID: String) async throws {
        try await database.execute("""
            UPDATE refunds.refunds SET state = 'failed', psp_refund_id = \(processorRefundID) WHERE id = \(id) AND state = 'pending'
            """)
    }

    func pending(driverIDs: [UUID]?) async throws -> [UUID] {
        let filter: SQL = driverIDs.map { "AND driver_id = ANY(\($0))" } ?? ""
        return try await database.queryAll(
            "SELECT id FROM refunds.refunds WHERE state = 'pending' \(filter) ORDER BY created_at LIMIT 100") {
            try $0.decode(UUID.self, at: 0)
        }
    }
}
