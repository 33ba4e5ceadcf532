import AppKernel
import Foundation
import Postgres
import Underwriting

/// Declined quote requests, kept with their reasons.
extension QuotesStore {
    func insertDecline(id: UUID, driverID: UUID, vehicleID: UUID, product: String, usage: String, reasons: [DeclineReason],
                       at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO quotes.declines (id, driver_id, vehicle_id, product, usage, reasons, created_at)
            VALUES (\(id), \(driverID), \(vehicleID), \(product), \(usage), \(try PostgresJSON(encoding: reasons)), \(instant))
            """)
    }
}

/// A declined quote request as the admin shows it.
struct QuoteDecline: Sendable {
    let id: UUID
    let driverID: UUID
    let vehicleID: UUID
    let product: String
    let usage: String
    let reasons: [DeclineReason]
    let createdAt: Date
}

extension QuotesStore {
    static let declineColumns: SQL = "id, driver_id, vehicle_id, product, usage, reasons::text, created_at"

    static func decline(row: PostgresRow) throws -> QuoteDecline {
        let reasons = (try? JSON.decode([DeclineReason].self, from: Array(try row.decode(String.self, at: 5).utf8))) ?? []
        return QuoteDecline(id: try row.decode(UUID.self, at: 0), driverID: try row.decode(UUID.self, at: 1), vehicleID: try row.decode(UUID.self, at: 2),
                            product: try row.decode(String.self, at: 3), usage: try row.decode(String.self, at: 4), reasons: reasons,
                            createdAt: try row.decode(Date.self, at: 6))
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func declines(driverID: UUID?, page: PageRequest) async throws -> [QuoteDecline] {
        try await database.queryAll("""
            SELECT \(Self.declineColumns) FROM quotes.declines WHERE (\(driverID)::uuid IS NULL OR driver_id = \(driverID)) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Self.decline(row:))
    }
}
