import AppKernel
import Foundation
import Postgres

/// A refund with everything the admin shows of it.
struct RefundDetail: Sendable {
    let refund: Refund
    let pspRefundID: String?
    let completedAt: Date?

    static let columns: SQL = "\(Refund.columns), psp_refund_id, completed_at"

    init(row: PostgresRow) throws {
        refund = try Refund(row: row)
        pspRefundID = try row.decode(String?.self, at: 10)
        completedAt = try row.decode(Date?.self, at: 11)
    }
}

/// The refunds schema's queries for the admin.
extension RefundsStore {
    struct ListFilter {
        var states: [String] = []
        var destinations: [String] = []
        var driverID: UUID?
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func list(_ filter: ListFilter, page: PageRequest) async throws -> [RefundDetail] {
        try await database.queryAll("""
            SELECT \(RefundDetail.columns) FROM refunds.refunds
            WHERE (cardinality(\(filter.states)::text[]) = 0 OR state = ANY(\(filter.states)))
              AND (cardinality(\(filter.destinations)::text[]) = 0 OR destination = ANY(\(filter.destinations)))
              AND (\(filter.driverID)::uuid IS NULL OR driver_id = \(filter.driverID))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: RefundDetail.init(row:))
    }

    func detail(id: UUID) async throws -> RefundDetail? {
        try await database.queryOptional("SELECT \(RefundDetail.columns) FROM refunds.refunds WHERE id = \(id)", decode: RefundDetail.init(row:))
    }

    func refunds(paymentID: UUID) async throws -> [RefundDetail] {
        try await database.queryAll("""
            SELECT \(RefundDetail.columns) FROM refunds.refunds WHERE payment_id = \(paymentID) ORDER BY created_at DESC, id DESC LIMIT 50
            """, decode: RefundDetail.init(row:))
    }

    func refunds(driverID: UUID, limit: Int) async throws -> [RefundDetail] {
        try await database.queryAll("""
            SELECT \(RefundDetail.columns) FROM refunds.refunds WHERE driver_id = \(driverID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: RefundDetail.init(row:))
    }

    /// Refunds by id or by the processor's refund id (`re_…`).
    func matching(pspRefundID: String?, id: UUID?) async throws -> [RefundDetail] {
        try await database.queryAll("""
            SELECT \(RefundDetail.columns) FROM refunds.refunds WHERE psp_refund_id = \(pspRefundID) OR id = \(id) LIMIT 10
            """, decode: RefundDetail.init(row:))
    }
}
