import Foundation
import Postgres

extension PaymentsStore {
    /// The payouts among `ids` the processor has told us about.
    func reportedPayouts(ids: [String]) async throws -> [ReportedPayout] {
        try await database.queryAll("""
            SELECT id, amount, currency, status, arrival_at FROM payments.payouts WHERE id = ANY(\(ids))
            """, decode: ReportedPayout.init(row:))
    }
}
