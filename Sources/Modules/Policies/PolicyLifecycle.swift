import AppKernel
import Audit
import Documents
import Foundation
import HTTPServer
import Payments
import Postgres
import Refunds
import Wallet

/// How a policy stops: cancelled (by the driver, `POST /v1/policies/{id}/cancel`, or by staff,
/// `cancel_policy`, through the very same function), deactivated by staff, and its
/// certificate re-issued. Each runs inside the caller's transaction, locks the policy row
/// first (the lock order: the policy, then the cover module's driver lock, then the wallet)
/// and records its one audit event on the policy.
struct PolicyLifecycle: Sendable {
    let app: AppContext
    let wallet: Wallet
    let endings: PolicyEndings
    var refunds: Refunds { Refunds(app: app, wallet: wallet) }
    var payments: Payments { wallet.payments }
    var issuance: PolicyIssuance { PolicyIssuance(app: app, refunds: refunds) }

    /// What a cancellation at an instant refunds, by PRODUCT.md's rules.
    enum Refund: Sendable, Equatable {
        /// Nothing: PAYG (nothing is prepaid beyond a running session's minimum, which is
        /// charged), a block never paid, or whole hours all used.
        case none
        /// Back to the wallet the block was paid from.
        case wallet(Int64)
        /// Back to the card the block was paid with (owed in the cancelling transaction, sent
        /// to the processor after it commits).
        case card(Int64, paymentID: UUID)

        var amount: Int64 {
            switch self {
            case .none: 0
            case .wallet(let amount), .card(let amount, _): amount
            }
        }

        /// The same refund for what is actually given back (`PolicyLifecycle.cancel` gives back
        /// only what is left of the payment): nothing when nothing is.
        func capped(at given: Int64) -> Refund {
            guard given > 0 else { return .none }
            switch self {
            case .none: return .none
            case .wallet(let amount): return .wallet(min(amount, given))
            case .card(let amount, let paymentID): return .card(min(amount, given), paymentID: paymentID)
            }
        }
    }

    /// Whole unused hours at the hourly rate (all of it before the start), never more than paid.
    static func refundAmount(for policy: Policy, at now: Date) -> Int64 {
        guard let endsAt = policy.endsAt else { return 0 }
        if now < policy.startsAt { return policy.totalAmount }
        let unusedHours = Int64(max(0, endsAt.timeIntervalSince(now)) / 3600)
        return min(policy.totalAmount, unusedHours * policy.hourlyRateAmount)
    }

    /// What cancelling `policy` at `now` refunds, and where; throws 409 when it cannot be cancelled.
    static func refund(for policy: Policy, at now: Date) throws -> Refund {
        switch policy.status(at: now) {
        case .active where policy.isPAYG, .paused, .pendingPayment: return .none
        case .scheduled, .active:
            let amount = refundAmount(for: policy, at: now)
            guard amount > 0 else { return .none }
            if policy.funding == "wallet" { return .wallet(amount) }
            if let paymentID = policy.paymentID { return .card(amount, paymentID: paymentID) }
            return .none
        case .cancelled, .expired, .deactivated:
            throw notCancellable(policy, at: now)
        }
    }

    static func notCancellable(_ policy: Policy, at now: Date) -> AppError {
        AppError(status: .conflict, slug: "policy-not-cancellable", detail: "the policy is already \(policy.status(at: now).rawValue)")
    }

    /// Cancels the policy at `now` with the refund PRODUCT.md promises, back where the money
    /// came from: before the start, everything; during cover, the whole unused hours; after the
    /// end, nothing to cancel (409). Never more than is left of what the block took: staff may
    /// have refunded part or all of it already, and its `refund_amount` records what this
    /// cancellation actually gives back. A PAYG policy's running session ends now and is charged
    /// as closed (the cover module's `PolicyEndings` handler). `driverID`: the driver it must
    /// belong to (their own request; another driver's policy is 404), or nil for staff.
    @discardableResult
    func cancel(_ id: UUID, ownedBy driverID: UUID?, at now: Date, on transaction: PostgresConnection) async throws -> (before: Policy, after: Policy) {
        let store = PoliciesStore(database: transaction)
        let found = if let driverID { try await store.find(id: id, driverID: driverID, forUpdate: true) } else { try await store.find(id: id) }
        guard let policy = found else { throw AppError.notFound("no policy \(id.uuidString.lowercased())") }
        let refund = try Self.refund(for: policy, at: now)
        switch policy.status(at: now) {
        case .pendingPayment:
            // Never paid, so never covered: no certificate was issued and none is now.
            _ = try await store.cancel(id: id, at: now)
        default:
            let cancelled = try await store.cancel(id: id, at: now)
            // Its running session ends now and is charged as closed; nothing covers after.
            try await endings.run(cancelled, at: now, on: transaction)
            try await issuance.issueCertificate(for: cancelled, at: now, on: transaction)
            let description = "Refund for cancelled cover \(policy.number)"
            // The refunds module gives back only what is left (the wallet lock comes last).
            var given: Int64 = 0
            switch refund {
            case .none: break
            case .wallet(let amount):
                given = try await refunds.toWallet(driverID: policy.driverId, subjectID: policy.id, amount: amount,
                                                   purchaseCause: "policy:\(policy.id.uuidString.lowercased()):purchase",
                                                   description: description, at: now, on: transaction)
            case .card(let amount, let paymentID):
                if let payment = try await payments.payment(paymentID, on: transaction) {
                    given = try await refunds.owedToCard(payment: payment, subjectID: policy.id, amount: amount, description: description,
                                                         at: now, on: transaction)?.amount ?? 0
                }
            }
            if given > 0 { try await store.setRefundAmount(given, of: id) }
        }
        guard let after = try await store.find(id: id) else { throw AppError.notFound("no policy \(id.uuidString.lowercased())") }
        try await after.audit("policies.cancelled", before: policy, on: transaction)
        return (policy, after)
    }

    /// Deactivates a PAYG policy in force at `now` (staff only).
    ///
    /// What deactivated means here (PRODUCT.md lists the status without defining it): ops took
    /// the policy out of force, for good. From that instant it covers nothing: no new session
    /// opens under it, and a session running then ends at that instant and is charged as
    /// closed, the minimum included, exactly as a cancellation ends it (a session left running
    /// under a policy nobody may use any more would go on covering, and billing, a driver ops
    /// stopped). Its past sessions keep covering what they covered (its cover window ends at
    /// `deactivated_at`). It differs from a cancellation in who decided and in what the driver
    /// and the certificate see (`deactivated`, not `cancelled`); PAYG has nothing prepaid, so
    /// neither refunds anything. It is not reversible: the driver binds a new policy (the rule of
    /// one PAYG policy in force counts only `active` and `paused`). An hourly block is not
    /// deactivated: cancelling it is what refunds its unused hours.
    @discardableResult
    func deactivate(_ id: UUID, at now: Date, on transaction: PostgresConnection) async throws -> (before: Policy, after: Policy) {
        let store = PoliciesStore(database: transaction)
        guard let policy = try await store.find(id: id) else { throw AppError.notFound("no policy \(id.uuidString.lowercased())") }
        guard policy.isPAYG else {
            throw AppError.invalid("policy \(policy.number) is an hourly block: only a pay-as-you-go policy is deactivated; cancel a block instead (that refunds its unused hours)")
        }
        switch policy.status(at: now) {
        case .active, .paused: break
        default:
            throw AppError(status: .conflict, slug: "policy-not-in-force", detail: "policy \(policy.number) is already \(policy.status(at: now).rawValue)")
        }
        let deactivated = try await store.deactivate(id: id, at: now)
        try await endings.run(deactivated, at: now, on: transaction)
        try await issuance.issueCertificate(for: deactivated, at: now, revision: .next, on: transaction)
        try await deactivated.audit("policies.deactivated", before: policy, on: transaction)
        return (policy, deactivated)
    }

    /// Issues the certificate afresh as a new revision (the old ones stay as issued, and the
    /// new one is what the driver downloads from then on). A block never paid has none to issue.
    func reissueCertificate(_ id: UUID, at now: Date, on transaction: PostgresConnection) async throws -> (policy: Policy, before: Int?, after: Int) {
        let store = PoliciesStore(database: transaction)
        guard let policy = try await store.find(id: id) else { throw AppError.notFound("no policy \(id.uuidString.lowercased())") }
        if !policy.isPAYG, policy.paidAt == nil {
            throw AppError(status: .conflict, slug: "no-certificate",
                           detail: "policy \(policy.number) has no certificate to re-issue: the block was never paid for, so it never covered anything")
        }
        let before = try await Documents(app: app).certificateRevision(for: policy.id, on: transaction)
        let after = try await issuance.issueCertificate(for: policy, at: now, revision: .next, on: transaction)
        try await Audit.record("policies.certificate_reissued", policy.auditObject,
                               before: .object(["revision": before.map { .integer(Int64($0)) } ?? .null]),
                               after: .object(["revision": .integer(Int64(after)), "issued_at": .string(RFC3339.format(now))]),
                               on: transaction)
        return (policy, before, after)
    }
}
