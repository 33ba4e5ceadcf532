public import AdminUI
import AppKernel
import FeatureFlags
import Foundation
import Identity
import Ledger

/// Staff actions on a wallet (OPS.md "Actions"), each through the wallet's own API so the
/// postings are the ones a driver's own request would make.
extension WalletAdmin {
    public var actions: [AdminAction] { [grantCredit] }

    /// Goodwill or promotional credit: spent before cash, never paid out to a card. Over the
    /// adjustment threshold (a runtime setting) it needs another person's approval.
    var grantCredit: AdminAction {
        AdminAction("grant_credit", title: "Grant promotional credit", permission: .money, plan: { request in
            let driverID = try request.objectID()
            guard try await identity.account(driverID) != nil else { throw AppError.notFound("no such driver") }
            let amount = try request.amount()
            let description = request.form["description"] ?? "Goodwill credit"
            guard description.count <= 200 else { throw AppError.invalid("the description is longer than 200 characters") }
            let (cash, promo) = try await wallet.balances(of: driverID)
            let threshold = await FeatureFlags.shared(app: app).integer(WalletFlags.adjustmentFourEyesOver)
            return AdminActionPlan(
                objectType: "wallet", objectID: driverID.uuidString.lowercased(), driverID: driverID,
                effect: "Give \(AdminFormat.money(amount)) of promotional credit (“\(description)”) to this driver’s wallet.",
                facts: [("Promotional credit", "\(AdminFormat.money(promo)) → \(AdminFormat.money(promo + amount))"),
                        ("Cash balance", "\(AdminFormat.money(cash)) (unchanged)")],
                parameters: .object(["driver_id": .string(driverID.uuidString.lowercased()), "amount": .integer(amount),
                                     "description": .string(description)]),
                fourEyes: amount > threshold ? "credit over \(AdminFormat.money(threshold))" : nil,
                returnPath: Self.path(driverID))
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id")
            let amount = try execution.integer("amount")
            try await wallet.grantPromo(driverID: driverID, amount: amount, description: try execution.string("description"),
                                        causedBy: execution.cause, at: execution.now, on: execution.transaction)
            let (_, promo) = try await Ledger().driverBalances(driverID, on: execution.transaction)
            return AdminActionOutcome("Granted \(AdminFormat.money(amount)) of promotional credit; promotional balance now \(AdminFormat.money(promo)).",
                                      path: Self.path(driverID))
        })
    }

    /// The forms on the wallet page.
    func actionForms(_ request: AdminRequest, driverID: UUID) -> HTML {
        let id = driverID.uuidString.lowercased()
        let forms = AdminHTML.startForm(request, grantCredit, object: id, fields: """
            <label>Amount (£) <input type="text" name="amount" inputmode="decimal" placeholder="5.00" required></label>\
            <label>Description the driver sees <input type="text" name="description" maxlength="200" placeholder="Goodwill credit"></label>
            """)
        return forms.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", forms)
    }
}
