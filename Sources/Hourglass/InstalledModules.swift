import AppKernel
import Billing
import Claims
import Cover
import Drivers
import Identity
import Jobs
import Notifications
import OpsHealth
import Payments
import Policies
import Quotes
import Refunds
import Vehicles
import Wallet
import WorkProviders

/// The one list of installed modules (Django's INSTALLED_APPS; STYLE.md C9), with the
/// module APIs they share built once here.
func installedModules(_ app: AppContext, services: Services) -> [any AppModule] {
    let identity = Identity(app: app)
    let payments = Payments(app: app, gateway: services.gateway, outcomes: services.paymentOutcomes)
    let wallet = Wallet(app: app, payments: payments, jobs: services.jobs)
    wallet.registerOutcomes(services.paymentOutcomes)
    let refunds = Refunds(app: app, wallet: wallet)
    let cover = CoverService(app: app, wallet: wallet)
    services.jobs.register("kernel.idempotency_cleanup") { _ in try await Idempotency(database: app.database).deleteCompleted() }
    services.jobs.schedule("kernel.idempotency_cleanup", every: 3600)
    services.dueWork.register("refunds.complete_pending") { advance, _ in
        await refunds.completePending(driverIDs: try await identity.driverIDs(onTestClock: advance.clockID))
    }
    services.jobs.register("refunds.complete_pending") { _ in await refunds.completePending() }
    services.jobs.schedule("refunds.complete_pending", every: 300)
    return [
        OpsHealthModule(app: app, jobs: services.jobs),
        TestClocksModule(app: app, dueWork: services.dueWork),
        IdentityModule(identity: identity),
        DriversModule(app: app, identity: identity),
        VehiclesModule(app: app, identity: identity),
        QuotesModule(app: app, identity: identity),
        PoliciesModule(app: app, identity: identity, wallet: wallet, outcomes: services.paymentOutcomes),
        PaymentsModule(payments: payments, identity: identity, webhookSecret: services.pspWebhookSecret),
        WalletModule(wallet: wallet, identity: identity),
        BillingModule(app: app, identity: identity),
        WorkProvidersModule(app: app, identity: identity, jobs: services.jobs, pauseListeners: wallet.pauseListeners),
        CoverModule(service: cover, identity: identity, jobs: services.jobs, dueWork: services.dueWork),
        ClaimsModule(app: app, identity: identity, cover: cover),
        NotificationsModule(app: app, identity: identity),
        OpenAPIModule(sandbox: app.config.environment.isSandbox),
    ]
}
