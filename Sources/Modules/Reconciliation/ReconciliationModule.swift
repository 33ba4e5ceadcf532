public import AdminUI
public import AppKernel

/// Reconciliation (PRODUCT.md: reconciliation; issue #13): the card processor's settlement report
/// matched line by line to the clearing legs of our ledger, fees and payouts booked, and the
/// exceptions finance works. It serves no driver routes; `hourglass recon import`, the admin's
/// upload form and the processor's `payout.paid` webhook (a job fetches the payout's report)
/// all call `Reconciliation.importReport`. Its admin pages are finance's: runs, the upload, the
/// exceptions queue and the actions that work an exception.
public struct ReconciliationModule: AppModule, AdminContributing {
    public static let name = "reconciliation"
    let app: AppContext
    let reconciliation: Reconciliation

    public init(app: AppContext, reconciliation: Reconciliation) {
        self.app = app
        self.reconciliation = reconciliation
    }

    public var adminSection: any AdminSection { ReconciliationAdmin(app: app, reconciliation: reconciliation) }
}
