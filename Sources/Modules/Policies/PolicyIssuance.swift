import AppKernel
import Documents
import Drivers
import Foundation
import Ledger
import Payments
import Postgres
import Rating
import Refunds
import Vehicles
import Wallet

/// What happens once cover is paid for or ends: the certificate, the ledger, the card outcome.
struct PolicyIssuance: Sendable {
    let app: AppContext
    let refunds: Refunds

    /// Which revision of the certificate to store.
    enum CertificateRevision: Sendable {
        /// Revision 1, issued once when cover is paid for (a second call keeps the first).
        case first
        /// One above the newest: after a cancellation or deactivation (it then states when cover
        /// ended, or that it never began), or a re-issue by staff. The newest is the one served.
        case next
    }

    /// Renders and stores the certificate of motor insurance, as `revision` says (by default
    /// revision 1 while the policy runs, the next one once it ended); returns the revision stored.
    @discardableResult
    func issueCertificate(for policy: Policy, at instant: Date, revision: CertificateRevision? = nil,
                          on transaction: PostgresConnection) async throws -> Int {
        guard let driver = try await Drivers(app: app).profile(policy.driverId, on: transaction),
              let vehicle = try await Vehicles(app: app).vehicle(policy.vehicleId, ownedBy: policy.driverId, on: transaction)
        else { throw AppError.notFound("the policy's driver or vehicle no longer exists") }
        let documents = Documents(app: app)
        let number: Int
        switch revision ?? (policy.endedAt == nil ? .first : .next) {
        case .first: number = 1
        case .next: number = (try await documents.certificateRevision(for: policy.id, on: transaction) ?? 0) + 1
        }
        try await documents.issueCertificate(for: policy.id, CertificateDetails(
            policyNumber: policy.number, insuredName: driver.fullName, licenceNumber: driver.licenceNumber,
            vehicleRegistration: vehicle.registration, vehicleDescription: "\(vehicle.year) \(vehicle.make) \(vehicle.model)",
            product: policy.product, usage: policy.usage, periodStart: policy.startsAt, periodEnd: policy.endsAt,
            issuedAt: instant, cancelledAt: policy.endedAt, deactivated: policy.status == .deactivated),
            revision: number, on: transaction)
        return number
    }

    /// A card payment for an hourly block ended: paid → scheduled from the later of its quoted
    /// start and the moment it was paid, for the whole hours bought, with its certificate and
    /// ledger posting; failed → the policy is cancelled (nothing was taken, nothing covered).
    func blockPaymentSettled(_ payment: Payment, on transaction: PostgresConnection) async throws {
        let issuance = self
        let store = PoliciesStore(database: transaction)
        guard let policyID = payment.relatedID, let policy = try await store.find(id: policyID) else { return }
        guard policy.status == .pendingPayment else {
            // The driver cancelled while the bank was still asking for authentication, and
            // then the payment went through: the money was taken for cover that no longer
            // exists. Book the capture and owe it all back; the refunds sweep sends it to the card.
            if payment.status == .succeeded, policy.status == .cancelled {
                try await issuance.bookCapture(of: payment, for: policy, on: transaction)
                let owed = try await issuance.refunds.owedToCard(payment: payment, subjectID: policy.id, amount: payment.amount,
                                                                 description: "Refund: cover \(policy.number) was cancelled before payment",
                                                                 at: payment.updatedAt, on: transaction)
                try await store.setRefundAmount(owed?.amount ?? 0, of: policy.id)
            }
            return
        }
        if payment.status == .succeeded, policy.status(at: payment.updatedAt) == .expired {
            // Authenticated only after the block's whole period had passed: it covers
            // nothing now, so the money goes back to the card.
            try await issuance.bookCapture(of: payment, for: policy, on: transaction)
            let owed = try await issuance.refunds.owedToCard(payment: payment, subjectID: policy.id, amount: payment.amount,
                                                             description: "Refund: cover \(policy.number) expired before it was paid",
                                                             at: payment.updatedAt, on: transaction)
            try await store.expireUnpaid(policy.id, refundAmount: owed?.amount ?? 0)
            if let expired = try await store.find(id: policy.id) { try await expired.audit("policies.expired_unpaid", before: policy, on: transaction) }
        } else if payment.status == .succeeded {
            let (start, end) = Self.period(of: policy, paidAt: payment.updatedAt)
            let paid = try await store.markPaid(policy.id, paidAt: payment.updatedAt, startsAt: start, endsAt: end)
            try await paid.audit("policies.paid", before: policy, on: transaction)
            try await issuance.bookCapture(of: payment, for: paid, on: transaction)
            try await issuance.issueCertificate(for: paid, at: payment.updatedAt, on: transaction)
        } else {
            let cancelled = try await store.cancel(id: policy.id, at: payment.updatedAt)
            try await cancelled.audit("policies.cancelled_unpaid", before: policy, on: transaction)
        }
    }

    /// A block paid at `paidAt` covers its whole hours from its quoted start, or from the
    /// payment if that came later: cover never begins before it is paid for.
    static func period(of policy: Policy, paidAt: Date) -> (start: Date, end: Date) {
        let length = (policy.endsAt ?? policy.startsAt).timeIntervalSince(policy.startsAt)
        let start = max(policy.startsAt, paidAt)
        return (start, start.addingTimeInterval(length))
    }

    /// The card capture in the ledger: the gross through PSP clearing, split into premium and IPT.
    /// Keyed by the payment, so a redelivered outcome books it once.
    func bookCapture(of payment: Payment, for policy: Policy, on transaction: PostgresConnection) async throws {
        let ipt = PremiumTax.ipt(ofGross: payment.amount)
        try await Ledger().post(LedgerPosting(
            causedBy: Wallet.captureCause(ofPayment: payment.id), kind: .blockPurchase,
            driverID: policy.driverId, description: "Hourly cover \(policy.number)", driverAmount: -payment.amount,
            iptAmount: ipt, funding: "card", relatedID: policy.id,
            entries: [(.pspClearing, payment.amount), (.premiumIncome, -(payment.amount - ipt)), (.iptPayable, -ipt)],
            createdAt: payment.updatedAt, processorReference: payment.pspChargeID), on: transaction)
    }
}
