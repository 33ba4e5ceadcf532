public import AppKernel
public import Foundation
import Ledger
import Logging
public import Payments
public import Postgres
public import Wallet

/// A refund owed or made.
public struct Refund: Sendable, Equatable {
    public let id: UUID
    public let driverID: UUID
    public let subjectID: UUID
    public let paymentID: UUID?
    public let amount: Int64
    public let iptAmount: Int64
    public let destination: String
    public let state: String
    public let reason: String
    public let createdAt: Date

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverID = try row.decode(UUID.self, at: 1)
        subjectID = try row.decode(UUID.self, at: 2)
        paymentID = try row.decode(UUID?.self, at: 3)
        amount = try row.decode(Int64.self, at: 4)
        iptAmount = try row.decode(Int64.self, at: 5)
        destination = try row.decode(String.self, at: 6)
        state = try row.decode(String.self, at: 7)
        reason = try row.decode(String.self, at: 8)
        createdAt = try row.decode(Date.self, at: 9)
    }

    static let columns: SQL = "id, driver_id, subject_id, payment_id, amount, ipt_amount, destination, state, reason, created_at"
}

/// The refunds module's public API: money goes back where it came from (PRODUCT.md). Premium
/// and IPT are given back in proportion: IPT = round_half_up(refund × 3/28).
public struct Refunds: Sendable {
    let app: AppContext
    let wallet: Wallet

    public init(app: AppContext, wallet: Wallet) {
        self.app = app
        self.wallet = wallet
    }

    /// Refunds a wallet-paid purchase into the wallet, inside the caller's transaction
    /// (promotional credit returns as promotional credit).
    public func toWallet(driverID: UUID, subjectID: UUID, amount: Int64, purchaseCause: String, description: String,
                         at instant: Date, on transaction: PostgresConnection) async throws {
        let id = UUID()
        try await insert(id: id, driverID: driverID, subjectID: subjectID, paymentID: nil, amount: amount,
                         destination: "wallet", state: "succeeded", reason: description, at: instant, on: transaction)
        try await wallet.refund(driverID: driverID, amount: amount, purchaseCause: purchaseCause, description: description,
                                causedBy: "refund:\(id.uuidString.lowercased())", relatedID: subjectID, at: instant, on: transaction)
    }

    /// Records a card refund as owed, inside the caller's transaction. Complete it with
    /// `complete(_:)` after that transaction commits (it calls the card processor).
    @discardableResult
    public func owedToCard(payment: Payment, subjectID: UUID, amount: Int64, description: String, at instant: Date,
                           on transaction: PostgresConnection) async throws -> UUID {
        let id = UUID()
        try await insert(id: id, driverID: payment.driverID, subjectID: subjectID, paymentID: payment.id, amount: amount,
                         destination: "card", state: "pending", reason: description, at: instant, on: transaction)
        return id
    }

    /// Sends an owed card refund to the processor (keyed by the refund id, so a retry never
    /// refunds twice), then books it. Does nothing for a refund already completed.
    public func complete(_ refundID: UUID) async throws {
        guard let refund = try await find(refundID), refund.state == "pending", let paymentID = refund.paymentID,
              let payment = try await wallet.payments.payment(paymentID)
        else { return }
        try await wallet.payments.refund(payment, amount: refund.amount, reason: refund.id.uuidString.lowercased())
        try await app.database.withTransaction { transaction in
            let updated = try await transaction.execute("""
                UPDATE refunds.refunds SET state = 'succeeded', completed_at = \(Date())
                WHERE id = \(refundID) AND state = 'pending'
                """)
            guard updated == 1 else { return }
            try await Ledger().post(LedgerPosting(
                causedBy: "refund:\(refund.id.uuidString.lowercased())", kind: .refund, driverID: refund.driverID,
                description: refund.reason, driverAmount: refund.amount, iptAmount: refund.iptAmount, funding: "card",
                relatedID: refund.subjectID,
                entries: [(.premiumIncome, refund.amount - refund.iptAmount), (.iptPayable, refund.iptAmount), (.pspClearing, -refund.amount)],
                createdAt: refund.createdAt), on: transaction)
        }
    }

    /// Completes the card refunds still pending (after a crash, or a payment that succeeded
    /// after its cover was cancelled): every driver's by the recurring job, or only `driverIDs`'
    /// (a test clock's drivers, when it advances).
    public func completePending(driverIDs: [UUID]? = nil) async {
        do {
            let filter: SQL = driverIDs.map { "AND driver_id = ANY(\($0))" } ?? ""
            let pending = try await app.database.queryAll(
                "SELECT id FROM refunds.refunds WHERE state = 'pending' \(filter) ORDER BY created_at LIMIT 100") {
                try $0.decode(UUID.self, at: 0)
            }
            for id in pending {
                do { try await complete(id) } catch {
                    app.logger.error("refund could not be completed", metadata: ["refund.id": "\(id)", "error": "\(error)"])
                }
            }
        } catch {
            app.logger.error("could not list pending refunds", metadata: ["error": "\(error)"])
        }
    }

    public func refund(for subjectID: UUID) async throws -> Refund? {
        try await app.database.queryOptional("SELECT \(Refund.columns) FROM refunds.refunds WHERE subject_id = \(subjectID)",
                                             decode: Refund.init(row:))
    }

    func find(_ id: UUID) async throws -> Refund? {
        try await app.database.queryOptional("SELECT \(Refund.columns) FROM refunds.refunds WHERE id = \(id)", decode: Refund.init(row:))
    }

    private func insert(id: UUID, driverID: UUID, subjectID: UUID, paymentID: UUID?, amount: Int64, destination: String,
                        state: String, reason: String, at instant: Date, on transaction: PostgresConnection) async throws {
        try await transaction.execute("""
            INSERT INTO refunds.refunds (id, driver_id, subject_id, payment_id, amount, ipt_amount, destination, state, reason,
                                         created_at, completed_at)
            VALUES (\(id), \(driverID), \(subjectID), \(paymentID), \(amount), \(Money.roundHalfUp(amount * 3, 28)), \(destination),
                    \(state), \(reason), \(instant), \(state == "succeeded" ? instant : nil))
            """)
    }
}
