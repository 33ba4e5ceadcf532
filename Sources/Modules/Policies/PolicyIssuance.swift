import AppKernel
import Documents
import Drivers
import Foundation
import Ledger
import Payments
import Postgres
import Quotes
import Refunds
import Vehicles

/// What happens once cover is paid for: the certificate, the ledger, the card outcome.
struct PolicyIssuance: Sendable {
    let app: AppContext
    let refunds: Refunds

    /// Renders and stores the certificate of motor insurance.
    func issueCertificate(for policy: Policy, on transaction: PostgresConnection) async throws {
        guard let driver = try await Drivers(app: app).profile(policy.driverId),
              let vehicle = try await Vehicles(app: app).vehicle(policy.vehicleId, ownedBy: policy.driverId)
        else { throw AppError.notFound("the policy's driver or vehicle no longer exists") }
        try await Documents(app: app).issueCertificate(for: policy.id, CertificateDetails(
            policyNumber: policy.number, insuredName: driver.fullName, licenceNumber: driver.licenceNumber,
            vehicleRegistration: vehicle.registration, vehicleDescription: "\(vehicle.year) \(vehicle.make) \(vehicle.model)",
            product: policy.product, usage: policy.usage, periodStart: policy.startsAt, periodEnd: policy.endsAt,
            issuedAt: policy.createdAt), on: transaction)
    }

    /// A card payment for an hourly block ended: paid → scheduled with its certificate and
    /// ledger posting; failed → the policy is cancelled (nothing was taken).
    func registerOutcomes(_ outcomes: PaymentOutcomes) {
        let issuance = self
        outcomes.register(.blockPurchase) { payment, transaction in
            let store = PolicyStore(database: transaction)
            guard let policyID = payment.relatedID, let policy = try await store.find(id: policyID) else { return }
            guard policy.status == .pendingPayment else {
                // The driver cancelled while the bank was still asking for authentication, and
                // then the payment went through: the money was taken for cover that no longer
                // exists. Book the capture and owe it all back; the refunds sweep sends it to the card.
                if payment.status == .succeeded, policy.status == .cancelled {
                    try await issuance.bookCapture(of: payment, for: policy, on: transaction)
                    try await issuance.refunds.owedToCard(payment: payment, subjectID: policy.id, amount: payment.amount,
                                                          description: "Refund: cover \(policy.number) was cancelled before payment",
                                                          at: payment.createdAt, on: transaction)
                    try await store.setRefundAmount(payment.amount, of: policy.id)
                }
                return
            }
            if payment.status == .succeeded {
                try await store.setStatus(.scheduled, of: policy.id)
                try await issuance.bookCapture(of: payment, for: policy, on: transaction)
                try await issuance.issueCertificate(for: policy, on: transaction)
            } else {
                try await store.setStatus(.cancelled, of: policy.id, cancelledAt: payment.createdAt)
            }
        }
    }

    /// The card capture in the ledger: the gross through PSP clearing, split into premium and IPT.
    /// Keyed by the payment, so a redelivered outcome books it once.
    func bookCapture(of payment: Payment, for policy: Policy, on transaction: PostgresConnection) async throws {
        let ipt = Quote.ipt(ofGross: payment.amount)
        try await Ledger().post(LedgerPosting(
            causedBy: "payment:\(payment.id.uuidString.lowercased()):captured", kind: .blockPurchase,
            driverID: policy.driverId, description: "Hourly cover \(policy.number)", driverAmount: -payment.amount,
            iptAmount: ipt, funding: "card", relatedID: policy.id,
            entries: [(.pspClearing, payment.amount), (.premiumIncome, -(payment.amount - ipt)), (.iptPayable, -ipt)],
            createdAt: payment.createdAt), on: transaction)
    }
}
