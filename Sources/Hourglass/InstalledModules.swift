import AppKernel
import Billing
import Claims
import Cover
import Drivers
import Foundation
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
/// module APIs they share built once here, and the work that falls due with time in the order
/// it runs.
func installedModules(_ app: AppContext, services: Services) -> [any AppModule] {
    let identity = Identity(app: app)
    let payments = Payments(app: app, gateway: services.gateway, outcomes: services.paymentOutcomes)
    let wallet = Wallet(app: app, payments: payments, jobs: services.jobs)
    wallet.registerOutcomes(services.paymentOutcomes)
    let refunds = Refunds(app: app, wallet: wallet)
    refunds.registerOutcomes(services.paymentOutcomes)
    let policyEndings = PolicyEndings()
    let cover = CoverService(app: app, wallet: wallet, notices: ProviderNotices(app: app, jobs: services.jobs))
    let coverModule = CoverModule(service: cover, identity: identity, jobs: services.jobs, endings: policyEndings)

    services.jobs.register("kernel.idempotency_cleanup") { _ in try await Idempotency(database: app.database).deleteCompleted() }
    services.jobs.schedule("kernel.idempotency_cleanup", every: 3600)
    services.jobs.register("refunds.complete_pending") { _ in await refunds.completePending() }
    services.jobs.schedule("refunds.complete_pending", every: 300)
    let recoverAfter = app.config.paymentRecoveryAfter
    services.jobs.register(Payments.recoveryJob) { _ in await payments.recoverUnsettled(olderThan: recoverAfter) }
    services.jobs.schedule(Payments.recoveryJob, every: 60, atStart: true)

    // A test-clock advance answers only after all of this ran for the clock's drivers, in this
    // order: sessions close and are charged, which may queue automatic top-ups, which run here
    // rather than later on a worker; then card refunds still owed are completed.
    services.dueWork.register("cover.sessions") { advance, _ in try await coverModule.catchUp(advance) }
    services.dueWork.register("wallet.auto_top_up") { advance, _ in
        for driverID in try await identity.driverIDs(onTestClock: advance.clockID) {
            try await services.jobs.runQueued(kind: Wallet.autoTopUpJob, payloadField: "driver_id", equals: driverID.uuidString)
        }
    }
    services.dueWork.register("refunds.complete_pending") { advance, _ in
        await refunds.completePending(driverIDs: try await identity.driverIDs(onTestClock: advance.clockID))
    }
    return [
        OpsHealthModule(app: app, jobs: services.jobs),
        TestClocksModule(app: app, dueWork: services.dueWork),
        IdentityModule(identity: identity),
        DriversModule(app: app, identity: identity),
        VehiclesModule(app: app, identity: identity),
        QuotesModule(app: app, identity: identity),
        PoliciesModule(app: app, identity: identity, wallet: wallet, outcomes: services.paymentOutcomes, endings: policyEndings),
        PaymentsModule(payments: payments, identity: identity, webhookSecret: services.pspWebhookSecret),
        WalletModule(wallet: wallet, identity: identity),
        BillingModule(app: app),
        WorkProvidersModule(app: app, identity: identity, jobs: services.jobs, pauseListeners: wallet.pauseListeners),
        coverModule,
        ClaimsModule(app: app, cover: cover),
        NotificationsModule(app: app),
    ]
}
