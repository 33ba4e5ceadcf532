public import AppKernel
public import Foundation
public import Ledger
import HTTPServer
import Logging
public import Jobs
import Identity
import Notifications
import Synchronization
public import Payments
public import Postgres
import Rating
import Audit
import FeatureFlags

/// Auto top-up settings (PRODUCT.md: on by default, threshold £10, amount £20).
public struct AutoTopUp: Sendable, Equatable, Codable {
    public var enabled: Bool
    public var thresholdAmount: Int64
    public var amount: Int64
    public static let defaults = AutoTopUp(enabled: true, thresholdAmount: 1000, amount: 2000)
}

/// Who hears when a driver's cover pauses or resumes (the work providers' webhooks).
public final class PauseListeners: Sendable {
    public typealias Listener = @Sendable (_ driverID: UUID, _ paused: Bool, _ at: Date, _ key: String, PostgresConnection) async throws -> Void
    private let listeners = Mutex<[Listener]>([])
    public init() {}
    public func add(_ listener: @escaping Listener) { listeners.withLock { $0.append(listener) } }
    var all: [Listener] { listeners.withLock { $0 } }
}

/// Which wallet spending a refund gives back (to know how much of it was promotional credit).
public enum WalletPurchase: Sendable {
    /// One posting, by the cause it was posted with.
    case posting(cause: String)
    /// Every posting of `kind` about one thing (all the charges of a cover session).
    case charges(relatedTo: UUID, kind: TransactionKind)
}

/// The wallet module's public API: balances (from the ledger) and spending.
public struct Wallet: Sendable {
    public static let minimumTopUp: Int64 = 500
    public static let maximumTopUp: Int64 = 50_000

    /// The job that runs an automatic top-up.
    public static let autoTopUpJob = "wallet.auto_top_up"

    let app: AppContext
    public let payments: Payments
    public let pauseListeners: PauseListeners
    /// Where automatic top-ups are queued; without one (tools, tests of spending) none is.
    let jobs: JobQueue?

    public init(app: AppContext, payments: Payments, pauseListeners: PauseListeners = PauseListeners(), jobs: JobQueue? = nil) {
        self.app = app
        self.payments = payments
        self.pauseListeners = pauseListeners
        self.jobs = jobs
    }

    /// What a card payment's capture is posted as ("payment:<id>:captured"), by the wallet for a
    /// top-up and by policies for a block: one cause, so the ledger transaction id sent to the
    /// processor with the charge is the one the capture is booked under.
    public static func captureCause(ofPayment paymentID: UUID) -> String { "payment:\(paymentID.uuidString.lowercased()):captured" }

    /// The ledger transaction a card payment's capture is posted under (`captureCause`).
    public static func captureTransactionID(ofPayment paymentID: UUID) -> UUID {
        Ledger.transactionID(causedBy: captureCause(ofPayment: paymentID))
    }

    /// The automatic top-up job queued by `spend`.
    public func runAutoTopUp(_ job: Job) async throws {
        struct Payload: Decodable { let driver_id: UUID }
        await autoTopUpIfNeeded(driverID: try job.payload.decode(Payload.self).driver_id)
    }

    /// A top-up payment ended (inside the transaction recording it): success credits the
    /// wallet, dated when it settled on the driver's clock, and may lift a pause.
    public func topUpSettled(_ payment: Payment, on transaction: PostgresConnection) async throws {
        guard payment.status == .succeeded else { return }
        let ledger = Ledger()
        try await ledger.lockWallet(of: payment.driverID, on: transaction)
        try await ledger.post(LedgerPosting(
            causedBy: Self.captureCause(ofPayment: payment.id), kind: .topUp, driverID: payment.driverID,
            description: payment.purpose == .autoTopUp ? "Automatic top-up by card" : "Top-up by card",
            driverAmount: payment.amount, funding: "card", relatedID: payment.id,
            entries: [(.pspClearing, payment.amount), (.driverCash(payment.driverID), -payment.amount)],
            // Money is dated when it moves, so a finished week's statement never changes.
            // The charge id (when the processor gave it) lets reconciliation match the
            // settlement line to this leg directly.
            createdAt: payment.updatedAt, processorReference: payment.pspChargeID), on: transaction)
        try await Audit.record("wallet.topped_up", AuditObject("wallet", payment.driverID, driver: payment.driverID),
                               after: .object(["amount": .integer(payment.amount), "payment_id": .string(payment.id.uuidString.lowercased()),
                                               "purpose": .string(payment.purpose.rawValue)]), on: transaction)
        try await updateCoverPause(payment.driverID, at: payment.updatedAt, on: transaction)
    }

    public func balances(of driverID: UUID) async throws -> (cash: Int64, promo: Int64) {
        try await Ledger().driverBalances(driverID, on: app.database)
    }

    /// Balances and settings together, in one round trip (GET /v1/wallet).
    public func overview(of driverID: UUID) async throws -> (cash: Int64, promo: Int64, settings: AutoTopUp) {
        let ledger = Ledger()
        let accounts = ledger.driverBalanceAccounts(driverID)
        let (settings, cash, promo) = try await WalletStore(database: app.database)
            .overview(driverID: driverID, cashAccount: accounts.cash, promoAccount: accounts.promo)
        return (ledger.driverBalance(ofAccountBalance: cash), ledger.driverBalance(ofAccountBalance: promo), settings ?? .defaults)
    }

    public func settings(of driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> AutoTopUp {
        try await WalletStore(database: database ?? app.database).settings(driverID: driverID) ?? .defaults
    }

    /// Takes `gross` from the wallet inside the caller's transaction: promotional credit first,
    /// then cash. Refuses (422) when the balance cannot cover it unless `allowOverdraft` (a
    /// running cover session is never stopped for money). Returns the posting's ledger id.
    @discardableResult
    public func spend(driverID: UUID, gross: Int64, ipt: Int64, kind: TransactionKind, description: String, causedBy: String,
                      relatedID: UUID?, at instant: Date, allowOverdraft: Bool = false,
                      on transaction: PostgresConnection) async throws -> UUID {
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let (cash, promo) = try await ledger.driverBalances(driverID, on: transaction)
        let fromPromo = min(max(promo, 0), gross)
        let fromCash = gross - fromPromo
        guard allowOverdraft || fromCash <= cash else {
            throw AppError(status: .unprocessableContent, slug: "insufficient-balance",
                           detail: "the wallet balance is \(Money.pence(cash)); top up to pay \(Money.pence(gross))")
        }
        let posting = LedgerPosting(
            causedBy: causedBy, kind: kind, driverID: driverID, description: description, driverAmount: -gross, iptAmount: ipt,
            funding: fromPromo == 0 ? "wallet" : (fromCash == 0 ? "promo" : "mixed"), relatedID: relatedID,
            entries: [(.driverPromo(driverID), fromPromo), (.driverCash(driverID), fromCash),
                      (.premiumIncome, -(gross - ipt)), (.iptPayable, -ipt)],
            createdAt: instant)
        try await ledger.post(posting, on: transaction)
        try await updateCoverPause(driverID, at: instant, on: transaction)
        // Under the threshold: queue an automatic top-up with this change (one per driver a minute).
        let settings = try await settings(of: driverID, on: transaction)
        if settings.enabled, cash - fromCash < settings.thresholdAmount, let jobs {
            try await jobs.enqueue(Self.autoTopUpJob, payload: try PostgresJSON(encoding: ["driver_id": driverID]),
                                   uniqueKey: "auto_top_up:\(driverID.uuidString.lowercased()):\(Int(instant.timeIntervalSince1970 / 60))",
                                   maxAttempts: 3, on: transaction)
        }
        return posting.id
    }

    /// Gives promotional credit (spent before cash, never paid out to a card). `causedBy`
    /// identifies the grant, so granting twice for one reason is a no-op.
    @discardableResult
    public func grantPromo(driverID: UUID, amount: Int64, description: String, causedBy: String, at instant: Date,
                           on transaction: PostgresConnection) async throws -> Bool {
        precondition(amount > 0, "a promotional grant must be positive")
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let (_, promoBefore) = try await ledger.driverBalances(driverID, on: transaction)
        let granted = try await ledger.post(LedgerPosting(
            causedBy: causedBy, kind: .promoCredit, driverID: driverID, description: description, driverAmount: amount,
            funding: "promo", relatedID: nil, entries: [(.promoFunding, amount), (.driverPromo(driverID), -amount)],
            createdAt: instant), on: transaction)
        // Promotional credit counts towards the £10 that lifts a pause, like a top-up.
        if granted {
            try await Audit.record("wallet.promo_granted", AuditObject("wallet", driverID, driver: driverID),
                                   before: .object(["promo_balance_amount": .integer(promoBefore)]),
                                   after: .object(["promo_balance_amount": .integer(promoBefore + amount), "amount": .integer(amount),
                                                   "description": .string(description), "cause": .string(causedBy)]),
                                   on: transaction)
            try await updateCoverPause(driverID, at: instant, on: transaction)
        }
        return granted
    }

    /// What is left to give back of a wallet-paid purchase: what it took from the driver's cash
    /// and promotional credit, less the refunds to the wallet already posted about `relatedID`
    /// (a cancellation, a correction, staff).
    public func refundable(_ purchase: WalletPurchase, driverID: UUID, relatedID: UUID?,
                           on database: any PostgresQueryable) async throws -> Int64 {
        let ledger = Ledger()
        var took: Int64 = 0
        for account in [LedgerAccount.driverCash(driverID), .driverPromo(driverID)] {
            let spent: Int64 = switch purchase {
            case .posting(let cause): try await ledger.amount(postedBy: cause, on: account, on: database)
            case .charges(let relatedID, let kind): try await ledger.amount(relatedTo: relatedID, kind: kind, on: account, on: database)
            }
            took += spent
            if let relatedID { took += try await ledger.amount(relatedTo: relatedID, kind: .refund, on: account, on: database) }
        }
        return max(0, took)
    }

    /// Refunds `amount` of a wallet-paid purchase into the wallet: promotional credit goes back
    /// as promotional credit (it never becomes cash), up to what the purchase took of it, the
    /// rest as cash; premium and IPT are given back in proportion. Never more than is left of
    /// the purchase (`refundable`): returns what was refunded (0: nothing was left).
    @discardableResult
    public func refund(driverID: UUID, amount asked: Int64, purchase: WalletPurchase, description: String, causedBy: String,
                       relatedID: UUID?, at instant: Date, on transaction: PostgresConnection) async throws -> Int64 {
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let amount = min(asked, try await refundable(purchase, driverID: driverID, relatedID: relatedID, on: transaction))
        guard amount > 0 else { return 0 }
        let promoSpent = switch purchase {
        case .posting(let cause): try await ledger.amount(postedBy: cause, on: .driverPromo(driverID), on: transaction)
        case .charges(let relatedID, let kind):
            try await ledger.amount(relatedTo: relatedID, kind: kind, on: .driverPromo(driverID), on: transaction)
        }
        // Promotional credit already given back for the same thing (an earlier partial refund)
        // does not come back twice: the rest returns as cash.
        var promoReturned: Int64 = 0
        if let relatedID {
            promoReturned = -(try await ledger.amount(relatedTo: relatedID, kind: .refund, on: .driverPromo(driverID), on: transaction))
        }
        let toPromo = min(max(promoSpent - promoReturned, 0), amount)
        let ipt = PremiumTax.ipt(ofGross: amount)
        try await ledger.post(LedgerPosting(
            causedBy: causedBy, kind: .refund, driverID: driverID, description: description, driverAmount: amount, iptAmount: ipt,
            funding: toPromo == 0 ? "wallet" : (toPromo == amount ? "promo" : "mixed"), relatedID: relatedID,
            entries: [(.premiumIncome, amount - ipt), (.iptPayable, ipt), (.driverPromo(driverID), -toPromo),
                      (.driverCash(driverID), -(amount - toPromo))],
            createdAt: instant), on: transaction)
        try await updateCoverPause(driverID, at: instant, on: transaction)
        return amount
    }

    /// Whether the driver's cover is paused for money (below £0, until topped back to £10).
    public func isCoverPaused(_ driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Bool {
        try await WalletStore(database: database ?? app.database).isCoverPaused(driverID: driverID)
    }

    /// Re-evaluates the pause after the balance changed, inside the caller's transaction, and
    /// tells the driver and the pause listeners (work providers) when it flips.
    public func updateCoverPause(_ driverID: UUID, at instant: Date, on transaction: PostgresConnection) async throws {
        let paused = try await isCoverPaused(driverID, on: transaction)
        let (cash, promo) = try await Ledger().driverBalances(driverID, on: transaction)
        let nowPaused = paused ? cash + promo < 1000 : cash < 0
        guard nowPaused != paused else { return }
        try await WalletStore(database: transaction).setCoverPaused(nowPaused, driverID: driverID, at: instant)
        // `at` is the driver's time (a test clock's in sandbox): the cover timeline draws it there.
        try await Audit.record(nowPaused ? "wallet.cover_paused" : "wallet.cover_resumed", AuditObject("wallet", driverID, driver: driverID),
                               before: .object(["paused": .bool(paused)]),
                               after: .object(["paused": .bool(nowPaused), "balance_amount": .integer(cash + promo), "at": .string(RFC3339.format(instant))]),
                               on: transaction)
        let key = "cover:\(driverID.uuidString.lowercased()):\(nowPaused ? "paused" : "resumed"):\(Int(instant.timeIntervalSince1970 * 1000))"
        if nowPaused {
            try await Notifications(app: app).notify(
                driverID, kind: "cover_paused", title: "Your cover is paused",
                body: "Your balance is \(Money.pence(cash)). A running session continues, but no new cover starts until you top up to at least £10.",
                cause: key, at: instant, on: transaction)
        } else {
            try await Notifications(app: app).notify(
                driverID, kind: "cover_resumed", title: "Your cover is available again",
                body: "Your balance is \(Money.pence(cash + promo))\(promo > 0 ? " including promotional credit" : ""): "
                    + "cover starts again with your next shift.", cause: key, at: instant, on: transaction)
        }
        for listener in pauseListeners.all { try await listener(driverID, nowPaused, instant, key, transaction) }
    }

    /// Charges the default card off-session when auto top-up is on and the cash balance is under
    /// the threshold, unless one is already under way. Runs as a job queued by `spend`, and for
    /// a test clock's drivers before its advance answers.
    public func autoTopUpIfNeeded(driverID: UUID) async {
        do {
            guard await FeatureFlags.shared(app: app).isEnabled(WalletFlags.autoTopUp, for: driverID) else { return }
            let settings = try await settings(of: driverID)
            let (cash, _) = try await balances(of: driverID)
            guard settings.enabled, cash < settings.thresholdAmount,
                  let card = try await payments.defaultCard(of: driverID) else { return }
            let paymentID: UUID? = try await app.database.withTransaction { transaction in
                try await Ledger().lockWallet(of: driverID, on: transaction)
                guard try await payments.hasPaymentInProgress(driverID: driverID, purpose: .autoTopUp, on: transaction) == false else {
                    return nil
                }
                let now = try await Identity(app: app).now(for: driverID, on: transaction)
                return try await payments.createPayment(driverID: driverID, purpose: .autoTopUp, amount: settings.amount, card: card,
                                                        relatedID: nil, at: now, on: transaction)
            }
            if let paymentID {
                let payment = try await payments.execute(paymentID: paymentID, offSession: true,
                                                         capturePostedAs: Self.captureTransactionID(ofPayment: paymentID))
                if payment.status == .failed {
                    app.logger.notice("auto top-up failed", metadata: ["driver.id": "\(driverID)", "payment.failure": "\(payment.failureCode ?? "")"])
                    let (cash, _) = try await balances(of: driverID)
                    try await Notifications(app: app).notify(
                        driverID, kind: "auto_top_up_failed", title: "Your automatic top-up failed",
                        body: "We could not take \(Money.pence(settings.amount)) from your card (\(payment.failureCode ?? "payment failed")). "
                            + "Your balance is \(Money.pence(cash)). Cover keeps running for a shift in progress, but new cover needs "
                            + "a balance of at least £10 and pauses below £0: top up in the app.",
                        cause: "payment:\(payment.id.uuidString.lowercased()):failed", at: payment.updatedAt)
                }
            }
        } catch {
            app.logger.error("auto top-up could not run", metadata: ["driver.id": "\(driverID)", "error": "\(error)"])
        }
    }
}

