import Admin
import AdminUI
import AppKernel
import Audit
import Billing
import Claims
import Cover
import Documents
import Drivers
import Foundation
import Identity
import Jobs
import Ledger
import Notifications
import OpsHealth
import Payments
import Policies
import Quotes
import Rating
import Reconciliation
import Refunds
import Underwriting
import Vehicles
import Wallet
import WorkProviders
import FeatureFlags

/// The one list of installed modules (Django's INSTALLED_APPS; STYLE.md C9), with the module
/// APIs they share built once here. What happens *between* modules is `Reactions.wire`.
func installedModules(_ app: AppContext, services: Services) throws -> [any AppModule] {
    let identity = Identity(app: app)
    // One flags cache per process; every module declares what it reads.
    let flags = FeatureFlags.shared(app: app)
    flags.declare(OpsHealthFlags.all + WalletFlags.all + DriversFlags.all + WorkProvidersFlags.all)
    let staff = StaffDirectory(app: app)
    let payments = Payments(app: app, gateway: services.gateway, outcomes: services.paymentOutcomes)
    let wallet = Wallet(app: app, payments: payments, jobs: services.jobs)
    let refunds = Refunds(app: app, wallet: wallet)
    let providerConfig = try app.config.section(WorkProvidersConfig.self)
    let notices = ProviderNotices(app: app, jobs: services.jobs, config: providerConfig)
    let policyEndings = PolicyEndings()
    let cover = CoverService(app: app, wallet: wallet, notices: notices)
    let coverModule = CoverModule(service: cover, identity: identity)
    let policies = PoliciesModule(app: app, identity: identity, wallet: wallet, endings: policyEndings)
    let reconciliation = Reconciliation(app: app, payments: payments)

    Reactions(app: app, services: services, identity: identity, payments: payments, wallet: wallet, refunds: refunds,
              policies: policies, policyEndings: policyEndings, cover: cover, coverModule: coverModule, notices: notices,
              reconciliation: reconciliation, paymentsConfig: try app.config.section(PaymentsConfig.self)).wire()

    var modules: [any AppModule] = [
        AuditModule(app: app),
        FeatureFlagsModule(flags: flags),
        JobsModule(app: app),
        OpsHealthModule(app: app, config: try app.config.section(OpsHealthConfig.self), jobs: services.jobs, flags: flags),
        TestClocksModule(app: app, dueWork: services.dueWork),
        IdentityModule(identity: identity, staff: staff),
        LedgerModule(app: app),
        DocumentsModule(app: app),
        RatingModule(app: app),
        UnderwritingModule(app: app),
        DriversModule(app: app, identity: identity),
        VehiclesModule(app: app, identity: identity),
        QuotesModule(app: app, identity: identity),
        policies,
        PaymentsModule(payments: payments, identity: identity, webhookSecret: services.pspWebhookSecret, refunds: RefundsAdmin(app: app, refunds: refunds)),
        WalletModule(wallet: wallet, identity: identity),
        RefundsModule(app: app, refunds: refunds),
        BillingModule(app: app),
        WorkProvidersModule(app: app, config: providerConfig, identity: identity, jobs: services.jobs),
        coverModule,
        ClaimsModule(app: app, cover: cover),
        ReconciliationModule(app: app, reconciliation: reconciliation),
        NotificationsModule(app: app),
        SandboxBankModule(psp: app.config.environment.isSandbox ? services.sandboxPSP : nil),
    ]
    // The admin shell mounts what every module contributes to it, in the order above.
    modules.append(AdminModule(app: app, sections: modules.compactMap { ($0 as? any AdminContributing)?.adminSection }))
    return modules
}
