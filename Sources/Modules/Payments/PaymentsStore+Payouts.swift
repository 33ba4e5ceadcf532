import Foundation
import Postgres

extension PaymentsStore {
    /// The payouts among `ids` the processor has told us about.
    func reportedPayouts(ids: [String]) async throws -> [ReportedPayout] {
        try await database.queryAll("""
            SELECT id, amount, currency, status, arrival_at FROM payments.payouts WHERE id = ANY(\(ids))
            """) { row in
            ReportedPayout(id: try row.decode(String.self, at: 0), amount: try row.decode(Int64.self, at: 1),
                           currency: try row.decode(String.self, at: 2), status: try row.decode(String.self, at: 3),
                           arrivalAt: try row.decode(Date?.self, at: 4))
        }
    }
}
