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
