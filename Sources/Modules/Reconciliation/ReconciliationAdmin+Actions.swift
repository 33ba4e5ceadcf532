public import AdminUI
import AppKernel
import Foundation
import HTTPServer
import Identity
import Ledger

/// Working an exception (OPS.md "Actions"), finance only: assign it, resolve it with a note,
/// reopen it, or book a correcting ledger posting that resolves it, which another member of
/// finance must approve (four-eyes, always). Each goes through the exception module's API, in
/// the action's one transaction with its audit event.
extension ReconciliationAdmin {
    /// The four actions on an exception's page.
    public var actions: [AdminAction] { [assignException, resolveException, reopenException, correctException] }

    /// An id as URLs and parameters spell it.
    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// The form's exception, or 404.
    func exception(_ request: AdminActionRequest) async throws -> ReconciliationException {
        guard let exception = try await reconciliation.exception(try request.objectID()) else { throw AppError.notFound("no such reconciliation exception") }
        return exception
    }

    /// `Amount differs 1a2b3c4d (difference £2.00)`.
    static func describe(_ exception: ReconciliationException) -> String {
        "\(exception.kind.title) \(AdminFormat.shortID(exception.id)) (difference \(money(exception.difference, exception.ledgerCurrency)))"
    }

    /// To me, to a colleague in finance, or to nobody.
    var assignException: AdminAction {
        AdminAction("assign_exception", title: "Assign the exception", permission: .reconcile, plan: { request in
            let exception = try await exception(request)
            guard exception.isOpen else { throw ExceptionWorkError.alreadyResolved(by: exception.resolvedBy) }
            let staff = try await staffNames()
            let assignee: String?
            switch request.form["assignee"] {
            case nil, "me": assignee = Self.actor(request.staff)
            case "nobody": assignee = nil
            case let text?:
                guard let id = UUID(uuidString: text), let member = staff["staff:\(Self.id(id))"], member.role == .finance, member.disabledAt == nil else {
                    throw AppError.invalid("assignee must be me, nobody, or the id of a member of finance")
                }
                assignee = "staff:\(Self.id(member.id))"
            }
            let who = assignee.flatMap { staff[$0]?.name } ?? "nobody"
            return AdminActionPlan(
                objectType: "reconciliation_exception", objectID: Self.id(exception.id),
                effect: assignee == nil ? "Take \(Self.describe(exception)) from whoever has it: nobody will have it."
                    : "Give \(Self.describe(exception)) to \(who)\(assignee == Self.actor(request.staff) ? " (you)" : "").",
                facts: [("Assignee", "\(exception.assignee.flatMap { staff[$0]?.name } ?? exception.assignee ?? "nobody") → \(who)")],
                parameters: .object(["exception_id": .string(Self.id(exception.id)), "assignee": assignee.map(JSONValue.string) ?? .null]),
                returnPath: Self.exceptionPath(exception.id))
        }, execute: { execution in
            let id = try execution.uuid("exception_id")
            let assignee = execution.optionalString("assignee")
            try await reconciliation.assign(id, to: assignee, on: execution.transaction)
            return AdminActionOutcome(assignee == nil ? "Nobody has the exception now." : "Assigned the exception.", path: Self.exceptionPath(id))
        })
    }

    /// Resolved with a note saying what was found (no money moves).
    var resolveException: AdminAction {
        AdminAction("resolve_exception", title: "Resolve with a note", permission: .reconcile, plan: { request in
            let exception = try await exception(request)
            guard exception.isOpen else { throw ExceptionWorkError.alreadyResolved(by: exception.resolvedBy) }
            guard let note = request.note else { throw AppError.invalid("say in the note what you found: a resolution needs a note") }
            return AdminActionPlan(
                objectType: "reconciliation_exception", objectID: Self.id(exception.id),
                effect: "Resolve \(Self.describe(exception)) with the note “\(note)”. No money moves; it leaves the open queue.",
                facts: [("Status", "open → resolved")],
                parameters: .object(["exception_id": .string(Self.id(exception.id)), "note": .string(note)]),
                returnPath: Self.exceptionPath(exception.id))
        }, execute: { execution in
            let id = try execution.uuid("exception_id")
            try await reconciliation.resolve(id, note: try execution.string("note"), by: "staff:\(Self.id(execution.maker))", at: execution.now,
                                             on: execution.transaction)
            return AdminActionOutcome("Resolved the exception.", path: Self.exceptionPath(id))
        })
    }

    /// Back to the open queue, with the reason in the note.
    var reopenException: AdminAction {
        AdminAction("reopen_exception", title: "Reopen", permission: .reconcile, plan: { request in
            let exception = try await exception(request)
            guard !exception.isOpen else { throw ExceptionWorkError.notResolved }
            guard request.note != nil else { throw AppError.invalid("say in the note why it is reopened") }
            let kept = exception.correctingTransactionID.map { " Its correcting posting \(AdminFormat.shortID($0)) stays in the ledger (postings are never undone)." } ?? ""
            return AdminActionPlan(
                objectType: "reconciliation_exception", objectID: Self.id(exception.id),
                effect: "Reopen \(Self.describe(exception)), resolved with “\(exception.resolutionNote ?? "")”: it returns to the open queue.\(kept)",
                facts: [("Status", "resolved → open")],
                parameters: .object(["exception_id": .string(Self.id(exception.id))]),
                returnPath: Self.exceptionPath(exception.id))
        }, execute: { execution in
            let id = try execution.uuid("exception_id")
            try await reconciliation.reopen(id, on: execution.transaction)
            return AdminActionOutcome("Reopened the exception.", path: Self.exceptionPath(id))
        })
    }

    /// A correcting posting between settlement suspense and an account chosen from those that
    /// make sense for the kind, for the amount given (the difference by default); it resolves
    /// the exception once another member of finance approves it.
    var correctException: AdminAction {
        AdminAction("correct_exception", title: "Correct with a ledger posting", permission: .reconcile, approverPermission: .reconcile, needsSudo: true,
                    plan: { request in
            let exception = try await exception(request)
            guard exception.isOpen else { throw ExceptionWorkError.alreadyResolved(by: exception.resolvedBy) }
            if let booked = exception.correctingTransactionID { throw ExceptionWorkError.alreadyCorrected(transactionID: booked) }
            guard request.note != nil else { throw AppError.invalid("say in the note what the correction is for") }
            let currency = exception.ledgerCurrency
            let choices = Self.accountChoices(exception.kind, currency: currency)
            guard let name = request.form["account"], choices.contains(name) else {
                throw AppError.invalid("account must be one of \(choices.joined(separator: ", ")) for this exception")
            }
            var driverID: UUID?
            if name == "driver_cash" {
                guard let text = request.form["driver"], let id = UUID(uuidString: text) else { throw AppError.invalid("driver must be the driver’s id") }
                guard try await Identity(app: app).account(id) != nil else { throw AppError.notFound("no driver \(Self.id(id))") }
                driverID = id
            }
            let target = try Self.correctionAccount(name, driver: driverID)
            guard let account = target.account(currency: currency) else { throw ExceptionWorkError.accountNotInCurrency(account: name, currency: currency) }
            guard let text = request.form["amount"], let amount = Self.amount(text, currency: currency), amount > 0 else {
                throw AppError.invalid("amount must be a positive amount in \(currency), such as \(Self.amountInput(1250, currency: currency))")
            }
            let direction = request.form["direction"]
            guard direction == "to_account" || direction == "from_account" else { throw AppError.invalid("direction must be to_account or from_account") }
            let suspenseAmount = direction == "to_account" ? amount : -amount
            let suspense = LedgerAccount.settlementSuspense(currency: currency)
            let ledger = Ledger()
            let suspenseBefore = try await ledger.rawBalance(suspense, on: app.database)
            let accountBefore = try await ledger.rawBalance(account, on: app.database)
            var facts: [(String, String)] = [
                ("\(Ledger.accountName(suspense.id)) (debits − credits)", "\(Self.money(suspenseBefore, currency)) → \(Self.money(suspenseBefore + suspenseAmount, currency))"),
                ("\(Ledger.accountName(account.id)) (debits − credits)", "\(Self.money(accountBefore, currency)) → \(Self.money(accountBefore - suspenseAmount, currency))"),
                ("The exception’s difference", Self.money(exception.difference, currency)),
            ]
            if driverID != nil {
                let owed = -accountBefore
                if owed + suspenseAmount < 0 {
                    throw AppError.invalid("taking \(Self.money(amount, currency)) from this driver’s cash of \(Self.money(owed, currency)) would take it below £0.00")
                }
                facts.append(("The driver’s cash balance", "\(Self.money(owed, currency)) → \(Self.money(owed + suspenseAmount, currency)); "
                              + "no line appears in their transactions (a house correction)"))
            }
            let (debit, credit) = suspenseAmount > 0 ? (suspense.id, account.id) : (account.id, suspense.id)
            return AdminActionPlan(
                objectType: "reconciliation_exception", objectID: Self.id(exception.id), driverID: driverID,
                effect: "Book a reconciliation correction of \(Self.money(amount, currency)): debit \(Ledger.accountName(debit)) and credit "
                    + "\(Ledger.accountName(credit)) \(Self.money(amount, currency)), and resolve \(Self.describe(exception)) with it.",
                facts: facts,
                parameters: .object(["exception_id": .string(Self.id(exception.id)), "account": .string(name),
                                     "driver_id": driverID.map { .string(Self.id($0)) } ?? .null, "suspense_amount": .integer(suspenseAmount),
                                     "note": .string(request.note ?? "")]),
                fourEyes: "every reconciliation correction", returnPath: Self.exceptionPath(exception.id))
        }, execute: { execution in
            let id = try execution.uuid("exception_id")
            let driverID = execution.optionalString("driver_id").flatMap(UUID.init(uuidString:))
            let correction = ExceptionCorrection(account: try Self.correctionAccount(try execution.string("account"), driver: driverID),
                                                 suspenseAmount: try execution.integer("suspense_amount"))
            let posting = try await reconciliation.correct(id, with: correction, note: try execution.string("note"), by: "staff:\(Self.id(execution.maker))",
                                                           at: execution.now, on: execution.transaction)
            return AdminActionOutcome("Booked the correcting posting \(AdminFormat.shortID(posting)); the exception is resolved.", path: Self.exceptionPath(id))
        })
    }

    /// The correction that clears what this exception's payout left unexplained (positive:
    /// debit settlement suspense), as the import booked it (`SettlementImport.book`): a line
    /// our ledger lacks left its gross in suspense; an amount mismatch the difference; a
    /// duplicate or re-delivered line was not booked at all though the bank received its net;
    /// a payout that does not add up put the bank's difference nowhere; a leg never settled
    /// still waits on the clearing account.
    static func standardCorrection(_ exception: ReconciliationException, line: LineRow?) -> Int64 {
        switch exception.kind {
        case .missingInternal, .unknownReference, .currencyMismatch: exception.processorAmount ?? 0
        case .amountMismatch: exception.difference
        case .duplicateLine, .alreadySettled: -(line?.netAmount ?? 0)
        case .payoutMismatch: -exception.difference
        case .missingAtProcessor: exception.ledgerAmount ?? 0
        }
    }

    /// Why the form's amount is what it is, per kind.
    static func standardCorrectionHint(_ kind: ExceptionKind) -> String {
        switch kind {
        case .missingInternal, .unknownReference, .currencyMismatch:
            "The amount given is the line’s gross, which its payout left in settlement suspense."
        case .amountMismatch: "The amount given is the difference its payout left in settlement suspense."
        case .duplicateLine, .alreadySettled:
            "The amount given is the line’s net: the bank received it but nothing booked it (the line repeats one already settled)."
        case .payoutMismatch: "The amount given is what the bank received beyond (or short of) the payout’s lines."
        case .missingAtProcessor: "The amount given is our clearing leg, which no report has settled."
        }
    }

    /// The accounts a correction of this kind may use, most likely first; in another currency
    /// only those kept in it.
    static func accountChoices(_ kind: ExceptionKind, currency: String) -> [String] {
        let names: [String] = switch kind {
        case .missingInternal: ["driver_cash", "premium_income", "psp_clearing"]
        case .unknownReference: ["processor_fees", "bad_debt", "bank"]
        case .amountMismatch: ["psp_clearing", "driver_cash", "processor_fees", "bad_debt"]
        case .currencyMismatch: ["psp_clearing", "bad_debt"]
        case .duplicateLine, .alreadySettled: ["bank", "psp_clearing", "processor_fees"]
        case .payoutMismatch: ["bank", "processor_fees", "bad_debt"]
        case .missingAtProcessor: ["psp_clearing", "bad_debt", "driver_cash"]
        }
        let home = currency.uppercased() == LedgerAccount.homeCurrency
        return home ? names : names.filter { $0 == "processor_fees" || $0 == "bank" }.nilIfEmpty ?? ["processor_fees", "bank"]
    }

    /// What the account select shows.
    static func accountLabel(_ name: String) -> String {
        switch name {
        case "psp_clearing": "PSP clearing"
        case "premium_income": "Premium income"
        case "processor_fees": "Processor fees"
        case "bad_debt": "Bad debt"
        case "bank": "Bank"
        case "driver_cash": "A driver’s cash (give the driver’s id)"
        default: name
        }
    }

    /// The form's account name as the API's account.
    static func correctionAccount(_ name: String, driver: UUID?) throws -> CorrectionAccount {
        switch name {
        case "psp_clearing": return .pspClearing
        case "premium_income": return .premiumIncome
        case "processor_fees": return .processorFees
        case "bad_debt": return .badDebt
        case "bank": return .bank
        case "driver_cash":
            guard let driver else { throw AppError.invalid("driver must be the driver’s id") }
            return .driverCash(driver)
        default: throw AppError.invalid("\(name) is not an account a correction may use")
        }
    }

    /// The forms on an exception's page, for those who may work it.
    func actionForms(_ request: AdminRequest, _ view: ExceptionView) async throws -> HTML {
        guard request.staff.may(AdminPermission.reconcile.rawValue) else { return "" }
        let exception = view.exception
        let object = Self.id(exception.id)
        guard exception.isOpen else {
            return AdminHTML.section("Reopen it", id: "actions", AdminHTML.startForm(request, reopenException, object: object, requiredNote: "Why it is reopened (required)"))
        }
        let staff = try await staffNames()
        let colleagues = staff.values.filter { $0.role == .finance && $0.disabledAt == nil && $0.id != request.staff.id }.sorted { $0.name < $1.name }
        let people: [HTML] = ["<option value=\"me\">me</option>"] + colleagues.map { "<option value=\"\(Self.id($0.id))\">\($0.name)</option>" }
            + ["<option value=\"nobody\">nobody</option>"]
        // One card per action, so each reason and note plainly belongs to its own button.
        let assign = AdminHTML.section("Assign it", AdminHTML.startForm(request, assignException, object: object,
                                                                        fields: "<label>Assign to <select name=\"assignee\">\(people)</select></label>"))
        let resolve = AdminHTML.section("Resolve it with a note", "<p class=\"muted\">No money moves: say what you found.</p>"
            + AdminHTML.startForm(request, resolveException, object: object, requiredNote: "What you found and did (required)"))
        var correct: HTML
        let currency = exception.ledgerCurrency
        if exception.correctingTransactionID == nil {
            let choices = Self.accountChoices(exception.kind, currency: currency)
            // A driver's cash is preselected only when we know whose it would be.
            let suggested = view.suggestion?.account ?? (view.driverID == nil ? choices.first { $0 != "driver_cash" } : choices.first)
            let accounts: [HTML] = choices.map { name -> HTML in
                "<option value=\"\(name)\"\(name == suggested ? " selected" : "" as HTML)>\(Self.accountLabel(name))</option>"
            }
            let standard = Self.standardCorrection(exception, line: view.line)
            let toAccount = standard >= 0
            let directions: HTML = """
                <option value="to_account"\(toAccount ? " selected" : "" as HTML)>out of suspense into the account (the processor settled more than our books)</option>\
                <option value="from_account"\(toAccount ? "" : " selected" as HTML)>out of the account into suspense (the processor settled less)</option>
                """
            correct = AdminHTML.startForm(request, correctException, object: object, fields: """
                <label>Account <select name="account" required>\(accounts)</select></label>\
                <label>Driver id (for a driver’s cash) <input type="text" name="driver" value="\(view.driverID.map(Self.id) ?? "")" placeholder="the driver’s id"></label>\
                <label>Amount (\(currency)) <input type="text" name="amount" inputmode="decimal" value="\(Self.amountInput(standard, currency: currency))" required></label>\
                <label>Direction <select name="direction">\(directions)</select></label>\
                <p class="muted">\(Self.standardCorrectionHint(exception.kind)) Another member of finance must approve it; the next page states the exact posting first.</p>
                """, requiredNote: "What the correction is for (required)")
        } else {
            correct = "<p class=\"muted\">A correction was booked for this exception already: it can be resolved with a note, not corrected again.</p>"
        }
        return "<div class=\"grid\" id=\"actions\">" + assign + resolve + "</div>" + AdminHTML.section("Correct it with a ledger posting", correct)
    }
}

extension Array {
    /// nil when empty.
    var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}
