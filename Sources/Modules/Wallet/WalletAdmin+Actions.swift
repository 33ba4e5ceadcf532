public import AdminUI
import AppKernel
import FeatureFlags
import Foundation
import Identity
import Ledger
import HTTPServer

/// Staff actions on a wallet (OPS.md "Actions"), each through the wallet's own API so the
/// postings are the ones a driver's own request would make, and each confirmation stating the
/// balances before → after from the ledger.
extension WalletAdmin {
    public var actions: [AdminAction] { [grantCredit, refundToWallet, adjustWallet, writeOff] }

    /// The driver of the form's `object`, or 404.
    func driver(_ request: AdminActionRequest) async throws -> UUID {
        let driverID = try request.objectID()
        guard try await identity.account(driverID) != nil else { throw AppError.notFound("no such driver") }
        return driverID
    }

    /// When the posting is dated: the driver's clock (a test clock's, in sandbox), like every posting.
    func now(_ driverID: UUID, _ execution: AdminActionExecution) async throws -> Date {
        try await identity.now(for: driverID, on: execution.transaction)
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }
    static func change(_ before: Int64, _ after: Int64) -> String { "\(AdminFormat.money(before)) → \(AdminFormat.money(after))" }

    /// Goodwill or promotional credit: spent before cash, never paid out to a card. Over the
    /// adjustment threshold (a runtime setting) it needs another person's approval. The
    /// `grant-promo` command takes the same path (`Wallet.grantCredit`).
    var grantCredit: AdminAction {
        AdminAction("grant_credit", title: "Grant promotional credit", permission: .goodwill, approverPermission: .money, needsSudo: true,
                    plan: { request in
            let driverID = try await driver(request)
            let amount = try request.amount()
            let description = try Wallet.lineDescription(request.form["description"])
            let (cash, promo) = try await wallet.balances(of: driverID)
            var threshold = await FeatureFlags.shared(app: app).integer(WalletFlags.adjustmentFourEyesOver)
            if !request.staff.may(AdminPermission.money.rawValue) {
                threshold = min(threshold, await FeatureFlags.shared(app: app).integer(WalletFlags.supportGoodwillCeiling))
            }
            return AdminActionPlan(
                objectType: "wallet", objectID: Self.id(driverID), driverID: driverID,
                effect: "Give \(AdminFormat.money(amount)) of promotional credit (“\(description)”) to this driver’s wallet.",
                facts: [("Promotional credit", Self.change(promo, promo + amount)),
                        ("Cash balance", "\(AdminFormat.money(cash)) (unchanged)")],
                parameters: .object(["driver_id": .string(Self.id(driverID)), "amount": .integer(amount),
                                     "description": .string(description)]),
                limit: AdminFourEyesLimit(group: "wallet_adjustment", amount: amount, over: threshold, what: "wallet adjustments and credit"),
                returnPath: Self.path(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let amount = try execution.integer("amount")
            try await wallet.grantCredit(driverID: driverID, amount: amount, description: try execution.string("description"),
                                         causedBy: execution.cause, on: execution.transaction)
            let (_, promo) = try await Ledger().driverBalances(driverID, on: execution.transaction)
            return AdminActionOutcome("Granted \(AdminFormat.money(amount)) of promotional credit; promotional balance now \(AdminFormat.money(promo)).",
                                      path: Self.path(driverID))
        })
    }

    /// Gives back (part of) a wallet-paid purchase, chosen by its ledger posting: a session's
    /// charges or a block bought from the wallet. Promotional credit returns as promotional
    /// credit; never more than the purchase took less what was given back already. Four-eyes
    /// like every refund: over £50 or over the maker's ceiling.
    var refundToWallet: AdminAction {
        AdminAction("refund_to_wallet", title: "Refund to the wallet", permission: .money, needsSudo: true, plan: { request in
            let driverID = try await driver(request)
            guard let text = request.form["transaction"], let transactionID = UUID(uuidString: text) else {
                throw AppError.invalid("transaction must be the id of the posting to refund (a session charge or a block bought from the wallet)")
            }
            let purchase = try await wallet.refundablePurchase(transactionID, of: driverID, on: app.database)
            guard purchase.refundable > 0 else {
                throw AppError.invalid("nothing is left to refund: \(AdminFormat.money(purchase.returned)) of \(AdminFormat.money(purchase.took)) went back already")
            }
            let amount = request.form["amount"] == nil ? purchase.refundable : try request.amount()
            guard amount <= purchase.refundable else { throw Wallet.tooMuch(asked: amount, left: purchase.refundable, of: purchase.took) }
            let what = purchase.kind == .sessionCharge ? "cover session" : "hourly block"
            let description = try Wallet.lineDescription(request.form["description"] ?? "Refund: \(purchase.transaction.description)")
            let (cash, promo) = try await wallet.balances(of: driverID)
            let toPromo = purchase.promoShare(of: amount)
            let split = toPromo == 0 ? "as cash" : toPromo == amount ? "as promotional credit (it was paid with it)"
                : "\(AdminFormat.money(amount - toPromo)) as cash and \(AdminFormat.money(toPromo)) as promotional credit"
            return AdminActionPlan(
                objectType: "wallet", objectID: Self.id(driverID), driverID: driverID,
                effect: "Refund \(AdminFormat.money(amount)) of the \(what) \(AdminFormat.shortID(purchase.relatedID)) (“\(purchase.transaction.description)”) "
                    + "to this driver’s wallet, \(split); balance after \(AdminFormat.money(cash + amount - toPromo)).",
                facts: [("Balance", Self.change(cash, cash + amount - toPromo)),
                        ("Promotional credit", toPromo == 0 ? "\(AdminFormat.money(promo)) (unchanged)" : Self.change(promo, promo + toPromo)),
                        ("The \(what)", "took \(AdminFormat.money(purchase.took)), \(AdminFormat.money(purchase.returned)) given back already, "
                            + "\(AdminFormat.money(purchase.refundable - amount)) left after this"),
                        ("The driver sees", description)],
                parameters: .object(["driver_id": .string(Self.id(driverID)), "transaction_id": .string(Self.id(transactionID)),
                                     "amount": .integer(amount), "description": .string(description)]),
                fourEyes: await wallet.refundFourEyes(amount: amount, makerRole: request.staff.role),
                limit: AdminFourEyesLimit(group: "refund", amount: amount, over: await wallet.refundLimit(makerRole: request.staff.role), what: "refunds"),
                returnPath: Self.path(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let amount = try execution.integer("amount")
            let after = try await wallet.refundPurchase(try execution.uuid("transaction_id"), driverID: driverID, amount: amount,
                                                        description: try execution.string("description"), causedBy: execution.cause,
                                                        at: try await now(driverID, execution), on: execution.transaction)
            return AdminActionOutcome("Refunded \(AdminFormat.money(amount)) to the wallet; balance now \(AdminFormat.money(after.cash)), "
                                      + "promotional credit \(AdminFormat.money(after.promo)).", path: Self.path(driverID))
        })
    }

    /// A cash adjustment up (`direction=credit`) or down (`debit`), against the wallet
    /// adjustments account; a debit never takes the cash below £0. Four-eyes over the
    /// adjustment threshold.
    var adjustWallet: AdminAction {
        AdminAction("adjust_wallet", title: "Adjust the cash balance", permission: .money, needsSudo: true, plan: { request in
            let driverID = try await driver(request)
            let direction = request.form["direction"]
            guard direction == "credit" || direction == "debit" else { throw AppError.invalid("direction must be credit or debit") }
            let amount = try request.amount()
            let signed = direction == "credit" ? amount : -amount
            let description = try Wallet.lineDescription(request.form["description"] ?? "Balance adjustment")
            let (cash, promo) = try await wallet.balances(of: driverID)
            if signed < 0, cash + signed < 0 {
                throw AppError.invalid("a debit of \(AdminFormat.money(amount)) would take the cash balance of \(AdminFormat.money(cash)) below £0.00")
            }
            // Clearing what a driver owes is a write-off (always four-eyes), not a credit in small pieces.
            if signed > 0, cash < 0 {
                throw AppError(status: .conflict, slug: "use-write-off",
                               detail: "the cash balance is \(AdminFormat.money(cash)): clear a debt with a write-off (another person approves it), not a credit")
            }
            let threshold = await FeatureFlags.shared(app: app).integer(WalletFlags.adjustmentFourEyesOver)
            return AdminActionPlan(
                objectType: "wallet", objectID: Self.id(driverID), driverID: driverID,
                effect: signed > 0
                    ? "Add \(AdminFormat.money(amount)) to this driver’s cash balance (“\(description)”); balance after \(AdminFormat.money(cash + signed))."
                    : "Take \(AdminFormat.money(amount)) from this driver’s cash balance (“\(description)”); balance after \(AdminFormat.money(cash + signed)).",
                facts: [("Balance", Self.change(cash, cash + signed)),
                        ("Promotional credit", "\(AdminFormat.money(promo)) (unchanged)"),
                        ("The driver sees", description)],
                parameters: .object(["driver_id": .string(Self.id(driverID)), "amount": .integer(signed), "description": .string(description)]),
                limit: AdminFourEyesLimit(group: "wallet_adjustment", amount: amount, over: threshold, what: "wallet adjustments and credit"),
                returnPath: Self.path(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let amount = try execution.integer("amount")
            let (_, after) = try await wallet.adjust(driverID: driverID, amount: amount, description: try execution.string("description"),
                                                     causedBy: execution.cause, at: try await now(driverID, execution), on: execution.transaction)
            return AdminActionOutcome("\(amount > 0 ? "Added" : "Took") \(AdminFormat.money(abs(amount))); balance now \(AdminFormat.money(after)).",
                                      path: Self.path(driverID))
        })
    }

    /// Writes a negative cash balance off to zero, against bad debt. Always four-eyes.
    var writeOff: AdminAction {
        AdminAction("write_off", title: "Write off the negative balance", permission: .money, needsSudo: true, plan: { request in
            let driverID = try await driver(request)
            let (cash, promo) = try await wallet.balances(of: driverID)
            guard cash < 0 else {
                throw AppError.invalid("the cash balance is \(AdminFormat.money(cash)): only a negative balance can be written off")
            }
            let description = try Wallet.lineDescription(request.form["description"] ?? "Negative balance written off")
            let paused = try await wallet.isCoverPaused(driverID)
            return AdminActionPlan(
                objectType: "wallet", objectID: Self.id(driverID), driverID: driverID,
                effect: "Write off the \(AdminFormat.money(-cash)) this driver owes (a cash balance of \(AdminFormat.money(cash))) to bad debt; balance after £0.00.",
                facts: [("Balance", Self.change(cash, 0)),
                        ("Promotional credit", "\(AdminFormat.money(promo)) (unchanged)"),
                        ("Cover", paused ? "stays paused until a top-up brings the balance to £10" : "not paused"),
                        ("The driver sees", description)],
                parameters: .object(["driver_id": .string(Self.id(driverID)), "amount": .integer(-cash), "description": .string(description)]),
                fourEyes: "every write-off", returnPath: Self.path(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let amount = try execution.integer("amount")
            try await wallet.writeOff(driverID: driverID, amount: amount, description: try execution.string("description"),
                                      causedBy: execution.cause, at: try await now(driverID, execution), on: execution.transaction)
            return AdminActionOutcome("Wrote off \(AdminFormat.money(amount)); balance now £0.00.", path: Self.path(driverID))
        })
    }

    /// The forms on the wallet page. `purchases` are the latest wallet-paid charges, offered
    /// as choices for a refund to the wallet (any posting id can be typed).
    func actionForms(_ request: AdminRequest, driverID: UUID, cash: Int64, purchases: [DriverTransaction]) -> HTML {
        let id = Self.id(driverID)
        var forms = AdminHTML.startForm(request, grantCredit, object: id, fields: """
            <label>Amount (£) <input type="text" name="amount" inputmode="decimal" placeholder="5.00" required></label>\
            <label>Description the driver sees <input type="text" name="description" maxlength="200" placeholder="Goodwill credit"></label>
            """)
        let options: [HTML] = purchases.map { item -> HTML in
            let label = "\(AdminFormat.localText(item.createdAt, seconds: false)) · \(item.description) · \(AdminFormat.money(-item.amount))"
            return "<option value=\"\(Self.id(item.id))\">\(label)</option>"
        }
        forms += AdminHTML.startForm(request, refundToWallet, object: id, fields: """
            <label>Posting to refund (ledger id) <input type="text" name="transaction" list="wallet-purchases" required \
            placeholder="a session charge or a block bought from the wallet"></label><datalist id="wallet-purchases">\(options)</datalist>\
            <label>Amount (£) <input type="text" name="amount" inputmode="decimal" placeholder="blank: all that is left"></label>\
            <label>Description the driver sees <input type="text" name="description" maxlength="200" placeholder="Refund: …"></label>
            """)
        forms += AdminHTML.startForm(request, adjustWallet, object: id, fields: """
            <label>Direction <select name="direction" required><option value="credit">credit: into the balance</option>\
            <option value="debit">debit: out of the balance</option></select></label>\
            <label>Amount (£) <input type="text" name="amount" inputmode="decimal" placeholder="5.00" required></label>\
            <label>Description the driver sees <input type="text" name="description" maxlength="200" placeholder="Balance adjustment"></label>
            """)
        if cash < 0 {
            forms += AdminHTML.startForm(request, writeOff, object: id, fields: """
                <p>The driver owes \(AdminFormat.money(-cash)). Writing it off needs another person’s approval.</p>\
                <label>Description the driver sees <input type="text" name="description" maxlength="200" placeholder="Negative balance written off"></label>
                """, danger: true)
        }
        return forms.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", forms)
    }
}
