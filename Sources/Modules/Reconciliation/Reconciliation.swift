public import AppKernel
import Audit
public import Foundation
import Ledger
import Logging
public import Payments
public import Postgres

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
}
