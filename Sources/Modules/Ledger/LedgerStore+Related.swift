import AppKernel
import Foundation
import Postgres

extension LedgerStore {
    /// The postings related to an object (a session, a policy), oldest first.
    func postings(relatedTo relatedID: UUID) async throws -> [LedgerPostingSummary] {
        try await database.queryAll("""
            SELECT id, kind, description, amount, ipt_amount, funding, created_at FROM ledger.transactions
            WHERE related_id = \(relatedID) ORDER BY created_at, id LIMIT 50
            """) { row in
            LedgerPostingSummary(id: try row.decode(UUID.self, at: 0), kind: try row.decode(String.self, at: 1),
                                 description: try row.decode(String.self, at: 2), amount: try row.decode(Int64.self, at: 3),
                                 iptAmount: try row.decode(Int64.self, at: 4), funding: try row.decode(String.self, at: 5),
                                 createdAt: try row.decode(Date.self, at: 6))
        }
    }
}
