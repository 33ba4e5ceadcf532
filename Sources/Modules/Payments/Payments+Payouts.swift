public import Postgres

extension Payments {
    /// The payouts among `ids` the processor has reported, by id (reconciliation compares a
    /// payout's settlement lines with its amount).
    public func reportedPayouts(_ ids: [String], on database: any PostgresQueryable) async throws -> [String: ReportedPayout] {
        let payouts = try await PaymentsStore(database: database).reportedPayouts(ids: ids)
        return Dictionary(payouts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
