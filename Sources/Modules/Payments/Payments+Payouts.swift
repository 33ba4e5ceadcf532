import AppKernel
import Logging
public import Postgres

extension Payments {
    /// The payouts among `ids` the processor has reported, by id (reconciliation compares a
    /// payout's settlement lines with its amount).
    public func reportedPayouts(_ ids: [String], on database: any PostgresQueryable) async throws -> [String: ReportedPayout] {
        let payouts = try await PaymentsStore(database: database).reportedPayouts(ids: ids)
        return Dictionary(payouts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The processor's itemised reconciliation report of payout `payoutID` (CSV bytes, as it
    /// writes them). A network call, made outside any transaction; a processor that is down or
    /// has not made the report yet throws (`GatewayError`), so a job calling this retries.
    public func payoutReport(payoutID: String) async throws -> [UInt8] {
        do {
            return try await gateway.payoutReport(payoutID: payoutID)
        } catch let error as GatewayError {
            app.logger.warning("payout report not fetched", metadata: ["psp.payout": "\(payoutID)", "psp.error": "\(error)"])
            throw error
        }
    }
}
