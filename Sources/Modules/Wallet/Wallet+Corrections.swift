import AdminUI
public import AppKernel
import Audit
import FeatureFlags
public import Foundation
import HTTPServer
import Identity
public import Ledger
public import Postgres

/// A wallet-paid purchase (all the charges of one cover session, or an hourly block bought
/// from the wallet) and what of it can still go back to the wallet.
public struct WalletPurchaseRefundable: Sendable {
    /// The posting staff chose (one of the purchase's charges).
    public let transaction: DriverTransaction
    /// The session or policy the purchase is about: every charge and refund of it carries it.
    public let relatedID: UUID
    public let kind: TransactionKind
    /// What its charges took from the wallet, and how much of that was promotional credit.
    public let took: Int64
    public let promoTook: Int64
    /// What refunds to the wallet gave back already (a cancellation, a correction, staff).
    public let returned: Int64
    public let promoReturned: Int64

    public var refundable: Int64 { max(0, took - returned) }
    /// Of the next refund, how much goes back as promotional credit (it never becomes cash).
    public func promoShare(of amount: Int64) -> Int64 { min(max(promoTook - promoReturned, 0), amount) }
}

/// Staff corrections of a wallet (OPS.md "Actions"): refunds of wallet-paid purchases, cash
/// adjustments, write-offs, promotional credit, and card refunds of top-ups. Each is one
/// balanced posting inside the caller's transaction, under the wallet lock, with the rules
/// checked there (so two requests planned at once can never both take the same money), and,
/// apart from the top-up refund whose audit event the refunds module writes, one audit event
/// with the balances before and after.
extension Wallet {
    /// Promotional credit is at most this per grant (£1,000,000 is the form's ceiling anyway).
    public static let maximumCredit: Int64 = 100_000_000

    /// What the driver will see on the line in GET /v1/transactions (a credit's default when
    /// none is given), at most 200 characters, or 422.
    public static func lineDescription(_ text: String?) throws -> String {
        let description = text ?? "Goodwill credit"
        guard description.count <= 200 else { throw AppError.invalid("the description is longer than 200 characters") }
        return description
    }

    /// Promotional credit by staff (`grant_credit`) and by the `grant-promo` command: the one
    /// path both take. The actor and reason come from the audit context the caller set; the
    /// posting is dated on the driver's clock (a test clock's, in sandbox), like every posting.
    /// False when `causedBy` granted already (nothing changes).
    @discardableResult
    public func grantCredit(driverID: UUID, amount: Int64, description: String, causedBy: String,
                            on transaction: PostgresConnection) async throws -> Bool {
        guard amount > 0, amount <= Self.maximumCredit else { throw AppError.invalid("the credit must be between £0.01 and £1,000,000") }
        _ = try Self.lineDescription(description)
        let now = try await Identity(app: app).now(for: driverID, on: transaction)
        return try await grantPromo(driverID: driverID, amount: amount, description: description, causedBy: causedBy, at: now,
                                    on: transaction)
    }

    // MARK: - Refunds of wallet-paid purchases

    /// Why a refund of `amount` (to the card or to the wallet) asked for by someone in `role`
    /// needs another person's approval (OPS.md: over £50, or over the maker's ceiling; both
    /// runtime settings), or nil when the maker may confirm it alone.
    /// The most a maker of this role may refund alone in 24 hours for one driver: the refund
    /// threshold or their ceiling, whichever is lower (the shell adds their recent refunds up).
    public func refundLimit(makerRole role: String) async -> Int64 {
        let flags = FeatureFlags.shared(app: app)
        let over = await flags.integer(WalletFlags.refundFourEyesOver)
        guard let setting = WalletFlags.refundCeiling(forRole: role) else { return 0 }
        return min(over, await flags.integer(setting))
    }

    public func refundFourEyes(amount: Int64, makerRole role: String) async -> String? {
        let flags = FeatureFlags.shared(app: app)
        var reasons: [String] = []
        let over = await flags.integer(WalletFlags.refundFourEyesOver)
        if amount > over { reasons.append("a refund over \(AdminFormat.money(over))") }
        let title = role.replacingOccurrences(of: "_", with: " ")
        if let setting = WalletFlags.refundCeiling(forRole: role) {
            let ceiling = await flags.integer(setting)
            if amount > ceiling { reasons.append("over the \(title) refund ceiling of \(AdminFormat.money(ceiling))") }
        } else {
            reasons.append("the \(title) role has no refund ceiling")
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: " and ")
    }

    /// The purchase one of the driver's postings belongs to, with what is left to give back.
    /// 404 when the posting is not the driver's; 422 when it is not a wallet-paid purchase.
    public func refundablePurchase(_ transactionID: UUID, of driverID: UUID,
                                   on database: any PostgresQueryable) async throws -> WalletPurchaseRefundable {
        let ledger = Ledger()
        guard let posting = try await ledger.transaction(transactionID, of: driverID, on: database) else {
            throw AppError.notFound("no posting \(transactionID.uuidString.lowercased()) in this driver’s wallet")
        }
        guard posting.type == .sessionCharge || posting.type == .blockPurchase else {
            throw AppError.invalid("posting \(AdminFormat.shortID(transactionID)) is a \(posting.type.rawValue.replacingOccurrences(of: "_", with: " ")), "
                                   + "not a purchase: only a session charge or a block bought from the wallet can be refunded to the wallet")
        }
        guard posting.funding != "card" else {
            throw AppError.invalid("this block was paid by card: refund it to the card from its payment’s page")
        }
        guard let relatedID = posting.relatedId else {
            throw AppError.invalid("posting \(AdminFormat.shortID(transactionID)) is not linked to a session or a block")
        }
        let cash = LedgerAccount.driverCash(driverID), promo = LedgerAccount.driverPromo(driverID)
        // Charges debit the driver's accounts; refunds to the wallet credit them (card ones never touch them).
        let tookCash = try await ledger.amount(relatedTo: relatedID, kind: posting.type, on: cash, on: database)
        let tookPromo = try await ledger.amount(relatedTo: relatedID, kind: posting.type, on: promo, on: database)
        let returnedCash = -(try await ledger.amount(relatedTo: relatedID, kind: .refund, on: cash, on: database))
        let returnedPromo = -(try await ledger.amount(relatedTo: relatedID, kind: .refund, on: promo, on: database))
        return WalletPurchaseRefundable(transaction: posting, relatedID: relatedID, kind: posting.type, took: tookCash + tookPromo,
                                        promoTook: tookPromo, returned: returnedCash + returnedPromo, promoReturned: returnedPromo)
    }

    /// 422 with the amounts: "£30.00 asked, £12.50 left to refund of £20.00".
    public static func tooMuch(asked: Int64, left: Int64, of total: Int64) -> AppError {
        AppError(status: .unprocessableContent, slug: "refund-too-large",
                 detail: "\(AdminFormat.money(asked)) asked, \(AdminFormat.money(left)) left to refund of \(AdminFormat.money(total))")
    }

    /// Gives `amount` of a wallet-paid purchase back to the wallet (`refund_to_wallet`): the
    /// promotional credit it took comes back as promotional credit, the rest as cash; never more
    /// than it took less what was given back already (422 with the amounts).
    @discardableResult
    public func refundPurchase(_ transactionID: UUID, driverID: UUID, amount: Int64, description: String, causedBy: String,
                               at instant: Date, on transaction: PostgresConnection) async throws -> (cash: Int64, promo: Int64) {
        precondition(amount > 0, "a refund must be positive")
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let purchase = try await refundablePurchase(transactionID, of: driverID, on: transaction)
        guard amount <= purchase.refundable else { throw Self.tooMuch(asked: amount, left: purchase.refundable, of: purchase.took) }
        let before = try await ledger.driverBalances(driverID, on: transaction)
        try await refund(driverID: driverID, amount: amount, purchase: .charges(relatedTo: purchase.relatedID, kind: purchase.kind),
                         description: description, causedBy: causedBy, relatedID: purchase.relatedID, at: instant, on: transaction)
        let after = try await ledger.driverBalances(driverID, on: transaction)
        try await Audit.record("wallet.refunded", AuditObject("wallet", driverID, driver: driverID),
                               before: .object(["balance_amount": .integer(before.cash), "promo_balance_amount": .integer(before.promo),
                                                "refundable_amount": .integer(purchase.refundable)]),
                               after: .object(["balance_amount": .integer(after.cash), "promo_balance_amount": .integer(after.promo),
                                               "refundable_amount": .integer(purchase.refundable - amount), "amount": .integer(amount),
                                               "transaction_id": .string(transactionID.uuidString.lowercased()),
                                               "related_id": .string(purchase.relatedID.uuidString.lowercased()),
                                               "description": .string(description)]),
                               on: transaction)
        return after
    }

    // MARK: - Adjustments and write-offs

    /// A cash adjustment by staff (`adjust_wallet`): `amount` pence into the cash balance
    /// (negative: out of it), against the wallet adjustments account. A debit never takes the
    /// cash balance below £0 (422): a balance that is owed is written off, not adjusted.
    @discardableResult
    public func adjust(driverID: UUID, amount: Int64, description: String, causedBy: String, at instant: Date,
                       on transaction: PostgresConnection) async throws -> (before: Int64, after: Int64) {
        precondition(amount != 0, "an adjustment moves money")
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let (cash, _) = try await ledger.driverBalances(driverID, on: transaction)
        if amount < 0, cash + amount < 0 {
            throw AppError(status: .unprocessableContent, slug: "adjustment-below-zero",
                           detail: "a debit of \(AdminFormat.money(-amount)) would take the cash balance of \(AdminFormat.money(cash)) below £0.00")
        }
        let posted = try await ledger.post(LedgerPosting(
            causedBy: causedBy, kind: .adjustment, driverID: driverID, description: description, driverAmount: amount, funding: "wallet",
            relatedID: nil, entries: [(.walletAdjustments, amount), (.driverCash(driverID), -amount)], createdAt: instant), on: transaction)
        guard posted else { return (cash, cash) }
        try await Audit.record("wallet.adjusted", AuditObject("wallet", driverID, driver: driverID),
                               before: .object(["balance_amount": .integer(cash)]),
                               after: .object(["balance_amount": .integer(cash + amount), "amount": .integer(amount),
                                               "description": .string(description)]), on: transaction)
        try await updateCoverPause(driverID, at: instant, on: transaction)
        return (cash, cash + amount)
    }

    /// Writes a negative cash balance off to zero (`write_off`), against bad debt. `amount` is
    /// what was shown when it was asked for: if the balance moved since (a top-up, a charge),
    /// nothing is written off (409) and staff ask again. Cover stays paused until a top-up
    /// brings the balance to £10, as for any balance under £10 after a pause.
    @discardableResult
    public func writeOff(driverID: UUID, amount: Int64, description: String, causedBy: String, at instant: Date,
                         on transaction: PostgresConnection) async throws -> (before: Int64, after: Int64) {
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let (cash, _) = try await ledger.driverBalances(driverID, on: transaction)
        guard amount > 0, -cash == amount else {
            throw AppError.conflict("the balance changed since this write-off was asked for (\(AdminFormat.money(-amount)) then, "
                                    + "\(AdminFormat.money(cash)) now): \(cash < 0 ? "ask again" : "there is nothing to write off")")
        }
        let posted = try await ledger.post(LedgerPosting(
            causedBy: causedBy, kind: .writeOff, driverID: driverID, description: description, driverAmount: amount, funding: "wallet",
            relatedID: nil, entries: [(.badDebt, amount), (.driverCash(driverID), -amount)], createdAt: instant), on: transaction)
        guard posted else { return (cash, cash) }
        try await Audit.record("wallet.written_off", AuditObject("wallet", driverID, driver: driverID),
                               before: .object(["balance_amount": .integer(cash)]),
                               after: .object(["balance_amount": .integer(0), "amount": .integer(amount), "description": .string(description)]),
                               on: transaction)
        try await updateCoverPause(driverID, at: instant, on: transaction)
        return (cash, 0)
    }

    // MARK: - Card refunds of top-ups

    /// Card money going back out of the wallet (a refund of all or part of a top-up, which the
    /// refunds module sends to the processor): refused (422) when the cash balance would go
    /// below £0, since promotional credit is never paid out to a card, unless
    /// `allowingBelowZero` (the processor has refunded it already: the books must say so even
    /// if the driver spent the cash meanwhile). Posted with funding `wallet` and a negative
    /// amount: it leaves the balance. No audit event here: the refunds module records the refund.
    /// `processorReference` is the processor's refund id (`re_…`), recorded on the clearing leg
    /// for reconciliation.
    public func refundTopUp(driverID: UUID, paymentID: UUID, amount: Int64, description: String, causedBy: String,
                            processorReference: String?, at instant: Date, allowingBelowZero: Bool = false,
                            on transaction: PostgresConnection) async throws {
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        let (cash, _) = try await ledger.driverBalances(driverID, on: transaction)
        guard amount <= cash || allowingBelowZero else { throw Self.topUpRefundBelowZero(amount: amount, cash: cash) }
        try await ledger.post(LedgerPosting(
            causedBy: causedBy, kind: .refund, driverID: driverID, description: description, driverAmount: -amount, funding: "wallet",
            relatedID: paymentID, entries: [(.driverCash(driverID), amount), (.pspClearing, -amount)], createdAt: instant,
            processorReference: processorReference), on: transaction)
        try await updateCoverPause(driverID, at: instant, on: transaction)
    }

    /// A top-up's card refund that the processor reported failed after it was booked: the cash
    /// comes back into the wallet by a new posting, the opposite of `refundTopUp`'s (the ledger
    /// is append-only). No audit event here: the refunds module records the failure. Its clearing
    /// leg carries no processor id: the refund's `re_…` is on the leg it reverses.
    public func reverseTopUpRefund(driverID: UUID, paymentID: UUID, amount: Int64, description: String, causedBy: String,
                                   at instant: Date, on transaction: PostgresConnection) async throws {
        let ledger = Ledger()
        try await ledger.lockWallet(of: driverID, on: transaction)
        try await ledger.post(LedgerPosting(
            causedBy: causedBy, kind: .refund, driverID: driverID, description: description, driverAmount: amount, funding: "wallet",
            relatedID: paymentID, entries: [(.driverCash(driverID), -amount), (.pspClearing, amount)], createdAt: instant), on: transaction)
        try await updateCoverPause(driverID, at: instant, on: transaction)
    }

    public static func topUpRefundBelowZero(amount: Int64, cash: Int64) -> AppError {
        AppError(status: .unprocessableContent, slug: "refund-below-zero",
                 detail: "refunding \(AdminFormat.money(amount)) of this top-up would take the wallet’s cash balance of "
                    + "\(AdminFormat.money(cash)) below £0.00 (promotional credit is never paid out to a card)")
    }
}
