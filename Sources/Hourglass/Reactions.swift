import AppKernel
import Cover
import Foundation
import Identity
import Jobs
import Payments
import Policies
import Postgres
import Reconciliation
import Refunds
import Wallet
import WorkProviders

/// Every cross-module reaction, in one list: when something happens in one module, what the
/// others do, and the work that runs by itself. Read top to bottom, this is the flow of the
/// business. Each registry is typed; each handler is a module's public API.
struct Reactions {
    let app: AppContext
    let services: Services
    let identity: Identity
    let payments: Payments
    let wallet: Wallet
    let refunds: Refunds
    let policies: PoliciesModule
    let policyEndings: PolicyEndings
    let cover: CoverService
    let coverModule: CoverModule
    let notices: ProviderNotices
    let reconciliation: Reconciliation
    let paymentsConfig: PaymentsConfig

    /// The one fetch job of a payout's report (its unique key).
    static func payoutReportJobKey(_ payoutID: String) -> String { "\(Reconciliation.fetchPayoutReportJob):\(payoutID)" }

    func wire() {
        let jobs = services.jobs, dueWork = services.dueWork, outcomes = services.paymentOutcomes
        let app = app, identity = identity, payments = payments, wallet = wallet, refunds = refunds
        let policies = policies, cover = cover, coverModule = coverModule, notices = notices, reconciliation = reconciliation

        // A card payment reached its final state (inside the transaction that records it):
        // a top-up credits the wallet; a block purchase schedules the policy or cancels it.
        outcomes.register(.topUp) { payment, transaction in try await wallet.topUpSettled(payment, on: transaction) }
        outcomes.register(.autoTopUp) { payment, transaction in try await wallet.topUpSettled(payment, on: transaction) }
        outcomes.register(.blockPurchase) { payment, transaction in try await policies.blockPaymentSettled(payment, on: transaction) }
        // The processor reported a refund: the refunds module books (or fails) its own.
        outcomes.registerRefunds { refund, transaction in try await refunds.processorReported(refund, on: transaction) }
        // The processor paid a payout into our bank: a job fetches its itemised report (a
        // network call, so never inside the event's transaction) and reconciliation imports it.
        // Queued once per payout, however often the event comes.
        outcomes.registerPayouts { payout, transaction in
            try await jobs.enqueue(Reconciliation.fetchPayoutReportJob, payload: try PostgresJSON(encoding: ["payout_id": payout.id]),
                                   uniqueKey: Self.payoutReportJobKey(payout.id), on: transaction)
        }

        // A policy stopped covering (cancelled): its running PAYG session ends and is charged.
        policyEndings.register { policy, instant, transaction in try await cover.policyEnded(policy, at: instant, on: transaction) }

        // Cover paused below £0 or resumed at £10: every linked work provider is told.
        wallet.pauseListeners.add { driverID, paused, instant, key, transaction in
            try await notices.coverPauseChanged(driverID: driverID, paused: paused, at: instant, key: key, on: transaction)
        }

        // Jobs, and when the recurring ones run.
        jobs.register(WorkProviders.eventJob) { job in try await coverModule.applyProviderEvents(job) }
        jobs.register(ProviderNotices.job) { job in try await notices.deliver(job) }
        jobs.register(Wallet.autoTopUpJob) { job in try await wallet.runAutoTopUp(job) }
        jobs.register("cover.sweep") { _ in await cover.sweep() }
        jobs.schedule("cover.sweep", every: 60)
        let recoverAfter = paymentsConfig.recoveryAfter
        jobs.register(Payments.recoveryJob) { _ in await payments.recoverUnsettled(olderThan: recoverAfter) }
        jobs.schedule(Payments.recoveryJob, every: 60, atStart: true)
        // A gateway failure (processor down, report not ready) throws: the job retries with backoff.
        // Importing a report already imported is a no-op, so a retry after a crash books nothing twice.
        jobs.register(Reconciliation.fetchPayoutReportJob) { job in
            struct Payload: Decodable { let payout_id: String }
            let payoutID = try job.payload.decode(Payload.self).payout_id
            let report = try await payments.payoutReport(payoutID: payoutID)
            _ = try await reconciliation.importReport(bytes: report, fileName: "payout-\(payoutID).csv",
                                                      source: .payoutWebhook(payoutID: payoutID),
                                                      actor: "system:\(Reconciliation.fetchPayoutReportJob)")
        }
        jobs.register(Reconciliation.unsettledLegsJob) { _ in try await reconciliation.checkUnsettledLegs(now: app.clock.now()) }
        jobs.schedule(Reconciliation.unsettledLegsJob, every: 86_400)
        jobs.register("refunds.complete_pending") { _ in await refunds.completePending() }
        jobs.schedule("refunds.complete_pending", every: 300)
        jobs.register("kernel.idempotency_cleanup") { _ in try await Idempotency(database: app.database).deleteCompleted() }
        jobs.schedule("kernel.idempotency_cleanup", every: 3600)
        jobs.register("kernel.rate_limit_cleanup") { _ in try await RateLimiter(database: app.database).deleteOld() }
        jobs.schedule("kernel.rate_limit_cleanup", every: 3600)

        // A test clock's advance answers only after all of this ran for its drivers, in this
        // order: sessions close and are charged, which may queue automatic top-ups, which run
        // here rather than later on a worker; then card refunds still owed are completed.
        dueWork.register("cover.sessions") { advance, _ in try await coverModule.catchUp(advance) }
        dueWork.register("wallet.auto_top_up") { advance, _ in
            for driverID in try await identity.driverIDs(onTestClock: advance.clockID) {
                try await jobs.runQueued(kind: Wallet.autoTopUpJob, payloadField: "driver_id", equals: driverID.uuidString)
            }
        }
        dueWork.register("refunds.complete_pending") { advance, _ in
            await refunds.completePending(driverIDs: try await identity.driverIDs(onTestClock: advance.clockID))
        }
    }
}
