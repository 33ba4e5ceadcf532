public import AppKernel
import Audit
public import Foundation
import Ledger
import Logging
public import Payments
import Postgres

/// The reconciliation module's public API: import a settlement report (matched and booked in
/// one transaction), and the daily check for clearing legs the processor never settled.
public struct Reconciliation: Sendable {
    /// Fetches and imports the itemised report of one payout (queued by `payout.paid`).
    public static let fetchPayoutReportJob = "reconciliation.fetch_payout_report"
    /// Opens `missing_at_psp` exceptions for legs unsettled past the allowed days.
    public static let unsettledLegsJob = "reconciliation.check_unsettled_legs"
    /// How many days a card movement may take to settle before it is an exception.
    public static let defaultSettlementDays = 7

    let app: AppContext
    let payments: Payments

    public init(app: AppContext, payments: Payments) {
        self.app = app
        self.payments = payments
    }

    /// Imports the report at `path` (CSV, or gzip-compressed CSV), streaming it: the file is
    /// never held in memory whole. The same report imported again is a no-op (`isRepeat`).
    public func importReport(path: String, source: ImportSource, actor: String,
                             progress: (@Sendable (ImportProgress) -> Void)? = nil) async throws -> ImportSummary {
        let file = try SettlementFile(path: path)
        return try await SettlementImport(app: app, payments: payments).run(file, fileName: (path as NSString).lastPathComponent,
                                                                             source: source, actor: actor, progress: progress)
    }

    /// Imports a report held in memory (an admin upload, a report fetched for a payout).
    public func importReport(bytes: [UInt8], fileName: String, source: ImportSource, actor: String) async throws -> ImportSummary {
        try await SettlementImport(app: app, payments: payments).run(SettlementFile(bytes: bytes), fileName: fileName,
                                                                      source: source, actor: actor, progress: nil)
    }

    /// Opens a `missing_at_psp` exception for every clearing leg posted more than `days` before
    /// `now` that no report has settled (each leg once, however often this runs). Returns how
    /// many it opened.
    @discardableResult
    public func checkUnsettledLegs(now: Date, olderThanDays days: Int = Reconciliation.defaultSettlementDays) async throws -> Int {
        try await app.database.withTransaction { transaction in
            try await ReconciliationStore(database: transaction).openMissingAtProcessor(before: now.addingTimeInterval(-Double(days) * 86_400), now: now)
        }
    }
}
