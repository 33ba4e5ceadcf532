import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer
import Ledger
import Payments

/// One exception: the processor's line and our ledger side by side, the difference, its run
/// and payout, a suggestion where one candidate is unambiguous, the actions, and its history.
extension ReconciliationAdmin {
    /// What one exception page shows, gathered once (the actions' forms read it too).
    struct ExceptionView: Sendable {
        let exception: ReconciliationException
        let line: LineRow?
        let leg: ClearingLegRow?
        /// Our posting: the clearing leg's, or the one the line's metadata names.
        let posting: LedgerPostingDetail?
        let suggestion: Suggestion?
        let settledBefore: [LineRow]
        /// The correcting posting booked for it, if any.
        let correction: LedgerPostingDetail?
        /// The driver the money concerns, from our posting or the suggested payment.
        var driverID: UUID? { posting?.driverID ?? suggestion?.payment?.driverID }
    }

    /// A single candidate found by a discriminating key, shown, never applied.
    struct Suggestion: Sendable {
        let text: HTML
        let payment: Payment?
        /// Where a correction would most likely go.
        let account: String?
    }

    /// The exception's page.
    func exception(_ request: AdminRequest) async throws -> AdminResponse {
        guard let view = try await exceptionView(try request.id()) else { throw AppError.notFound("no such reconciliation exception") }
        let exception = view.exception
        let currency = exception.ledgerCurrency
        let staff = try await staffNames()
        var summary: [AdminHTML.Field] = [
            .init("Kind", field: "kind", "\(exception.kind.title) " + Self.muted("(\(exception.kind.rawValue))")),
            .init("Status", field: "status", AdminHTML.status(exception.isOpen ? "open" : "resolved")),
            .init("Processor says", field: "processor_amount", text: Self.money(exception.processorAmount, currency)),
            .init("Our ledger says", field: "ledger_amount", text: Self.money(exception.ledgerAmount, currency)),
            .init("Difference (processor − ours)", field: "difference", exception.kind == .currencyMismatch
                  ? Self.muted("not comparable: the two sides are in different currencies")
                  : "<strong>\(Self.money(exception.difference, currency))</strong>"),
            .init("Opened", field: "opened_at", AdminFormat.time(exception.openedAt) + " · " + Self.muted("\(Self.age(exception.openedAt, now: request.now)) ago")),
            .init("Assignee", field: "assignee", Self.person(exception.assignee, staff, me: request.staff)),
            .init("Run", field: "run_id", exception.runID.map { AdminHTML.idLink(Self.runPath($0), $0) + (exception.lineNumber.map { " line \($0)" } ?? "") }
                  ?? Self.muted("none: found by the daily check of unsettled legs")),
            .init("Payout", field: "payout_id", Self.code(exception.payoutID ?? view.line?.payoutID)),
        ]
        if !exception.isOpen {
            summary += [.init("Resolved", field: "resolved_at", AdminFormat.time(exception.resolvedAt) + " by " + Self.person(exception.resolvedBy, staff)),
                        .init("Resolution", field: "resolution_note", text: exception.resolutionNote ?? "")]
        }
        if let correction = exception.correctingTransactionID {
            summary.append(.init("Correcting posting", field: "correcting_transaction_id", Self.postingLink(correction)))
        }
        let sides = "<div class=\"grid\">" + processorSide(view) + ledgerSide(view) + "</div>"
        let suggestion: HTML = view.suggestion.map { AdminHTML.section("Suggestion", id: "suggestion", $0.text
            + "<p class=\"muted\">Only a suggestion: nothing is applied until someone takes an action below.</p>") } ?? ""
        let history = try await Audit.historySection(of: [("reconciliation_exception", exception.id.uuidString.lowercased())], on: app.database)
        return .page(AdminView(title: "\(exception.kind.title) · \(AdminFormat.shortID(exception.id))",
                               body: AdminHTML.section("Exception", AdminHTML.fields(summary) + "<p class=\"muted\">\(Self.explanation(exception.kind))</p>")
                                   + sides + suggestion + (try await actionForms(request, view)) + history,
                               crumbs: [("Reconciliation exceptions", Self.queuePath)]))
    }

    /// Everything the page shows about exception `id`, or nil when there is none.
    func exceptionView(_ id: UUID) async throws -> ExceptionView? {
        guard let exception = try await store.exception(id: id) else { return nil }
        var line: LineRow?
        if let runID = exception.runID, let number = exception.lineNumber { line = try await store.line(runID: runID, lineNumber: number) }
        let leg = try await exception.entryID.asyncMap { try await store.clearingLeg(entryID: $0) } ?? nil
        let postingID = leg?.transactionID ?? line?.hourglassTransactionID
        let posting = try await postingID.asyncMap { try await Ledger().posting($0, on: app.database) } ?? nil
        var settledBefore: [LineRow] = []
        if let line, exception.kind == .alreadySettled || exception.kind == .duplicateLine {
            settledBefore = try await store.settlingLines(balanceTransactionID: line.balanceTransactionID, exceptRun: line.runID,
                                                          orBefore: exception.kind == .duplicateLine ? line.lineNumber : 0, limit: 5)
            if settledBefore.isEmpty, exception.kind == .alreadySettled, let entry = line.entryID {
                settledBefore = try await store.settlingLines(entryID: entry, exceptRun: line.runID, limit: 5)
            }
        }
        let suggestion = try await suggest(exception, line: line, posting: posting, settledBefore: settledBefore)
        let correction = try await exception.correctingTransactionID.asyncMap { try await Ledger().posting($0, on: app.database) } ?? nil
        return ExceptionView(exception: exception, line: line, leg: leg, posting: posting, suggestion: suggestion, settledBefore: settledBefore,
                             correction: correction)
    }

    /// A suggestion only where one candidate is unambiguous by a discriminating key: the line's
    /// `payment_intent_id` (or its charge, `source_id`) naming exactly one of our payments, or exactly one earlier line
    /// that settled the same balance transaction.
    func suggest(_ exception: ReconciliationException, line: LineRow?, posting: LedgerPostingDetail?, settledBefore: [LineRow]) async throws -> Suggestion? {
        switch exception.kind {
        case .alreadySettled, .duplicateLine:
            guard settledBefore.count == 1, let first = settledBefore.first else { return nil }
            let place: HTML = first.runID == exception.runID ? "earlier in this report" : "by run " + AdminHTML.idLink(Self.runPath(first.runID), first.runID)
            return Suggestion(text: "<p data-field=\"suggestion\">This balance transaction was settled \(place), line \(first.lineNumber) "
                                  + "(\(first.outcome.replacingOccurrences(of: "_", with: " ")), \(Self.money(first.grossAmount, first.currency))): "
                                  + "this line repeats it. If the payout paid it twice, the bank holds its net unbooked and the processor owes it back; "
                                  + "otherwise resolve with a note.</p>",
                              payment: nil, account: "bank")
        case .missingInternal, .unknownReference, .amountMismatch:
            guard posting == nil, let line else { return nil }
            // The payment intent, else the charge (the line's source): either names one payment or none.
            var key: String?
            var found: [Payment] = []
            if let intent = line.paymentIntentID {
                found = try await payments.payments(processorIntentID: intent, on: app.database)
                key = "payment intent"
            }
            if found.isEmpty, let source = line.sourceID, source.hasPrefix("ch_") {
                found = try await payments.payments(processorChargeID: source, on: app.database)
                key = "charge"
            }
            guard found.count == 1, let payment = found.first, let key else { return nil }
            let intent = key == "charge" ? line.sourceID ?? "" : line.paymentIntentID ?? ""
            let booked = try await Ledger().posting(Ledger.transactionID(causedBy: "payment:\(payment.id.uuidString.lowercased()):captured"), on: app.database)
            let account = payment.purpose.isTopUp ? "driver_cash" : "premium_income"
            let state: HTML = booked.map { "its captured posting " + Self.postingLink($0.id) + " exists: the clearing leg lacks the processor’s id, or the amount differs" }
                ?? "our ledger has no posting for its capture: the money was taken and never booked (a lost webhook). "
                + (payment.purpose.isTopUp ? "A top-up belongs in the driver’s cash: correct against it." : "A card purchase belongs in premium income.")
            return Suggestion(text: """
                <p data-field="suggestion">The line’s \(key) <code>\(intent)</code> is exactly one of our payments: \
                \(AdminHTML.link("/admin/payments/\(payment.id.uuidString.lowercased())", AdminFormat.shortID(payment.id))) \
                (\(payment.purpose.rawValue.replacingOccurrences(of: "_", with: " ")), \(AdminFormat.money(payment.amount, currency: payment.currency)), \
                \(payment.status.rawValue.replacingOccurrences(of: "_", with: " ")), driver \(AdminHTML.idLink(Self.driverPath(payment.driverID), payment.driverID))); \(state)</p>
                """, payment: payment, account: booked == nil ? account : nil)
        case .currencyMismatch, .payoutMismatch, .missingAtProcessor:
            return nil
        }
    }

    /// The processor's side: every column of its line.
    func processorSide(_ view: ExceptionView) -> HTML {
        guard let line = view.line else {
            let text: HTML = view.exception.kind == .missingAtProcessor
                ? "No report imported so far settles this leg." : "This exception is about the payout as a whole, not one line."
            return AdminHTML.section("The processor", id: "processor", "<p>\(text)</p>" + AdminHTML.fields([
                .init("Payout", Self.code(view.exception.payoutID)),
                .init("Amount", text: Self.money(view.exception.processorAmount, view.exception.ledgerCurrency)),
            ]))
        }
        let fields = AdminHTML.fields([
            .init("Line", field: "line_number", text: String(line.lineNumber)),
            .init("automatic_payout_id", field: "line_payout_id", Self.code(line.payoutID)),
            .init("automatic_payout_effective_at_utc", AdminFormat.time(line.payoutEffectiveAt)),
            .init("balance_transaction_id", field: "balance_transaction_id", Self.code(line.balanceTransactionID)),
            .init("created_utc", AdminFormat.time(line.createdAt)),
            .init("currency", text: line.currency.lowercased()),
            .init("gross", field: "gross_amount", text: Self.money(line.grossAmount, line.currency)),
            .init("fee", text: Self.money(line.feeAmount, line.currency)),
            .init("net", text: Self.money(line.netAmount, line.currency)),
            .init("reporting_category", text: line.category),
            .init("source_id", field: "source_id", Self.code(line.sourceID)),
            .init("description", text: line.description ?? "—"),
            .init("payment_intent_id", field: "payment_intent_id", Self.code(line.paymentIntentID)),
            .init("payment_metadata[hourglass_txn_id]", Self.code(line.hourglassTransactionID?.uuidString.lowercased())),
            .init("Outcome", text: line.outcome.replacingOccurrences(of: "_", with: " ") + (line.matchedBy.map { " (by \($0.replacingOccurrences(of: "_", with: " ")))" } ?? "")),
        ])
        let before: HTML = view.settledBefore.isEmpty ? "" : "<p>Settled before: " + HTML(stringLiteral: view.settledBefore.map { earlier -> String in
            AdminHTML.link(Self.linePath(earlier.runID, earlier.lineNumber), "run \(AdminFormat.shortID(earlier.runID)) line \(earlier.lineNumber)").text
        }.joined(separator: ", ")) + "</p>"
        return AdminHTML.section("The processor’s line", id: "processor", fields + before)
    }

    /// Our side: the clearing leg, its posting with every entry, the driver it concerns.
    func ledgerSide(_ view: ExceptionView) -> HTML {
        var body: HTML = ""
        if let leg = view.leg {
            body += AdminHTML.fields([
                .init("Clearing leg", field: "entry_id", text: String(leg.entryID)),
                .init("Processor id on it", field: "external_ref", Self.code(leg.externalRef)),
                .init("Amount", field: "leg_amount", text: Self.money(leg.amount, leg.currency)),
                .init("Posted", AdminFormat.time(leg.postedAt)),
            ])
        } else if let metadata = view.line?.hourglassTransactionID, view.posting == nil {
            body += "<p data-field=\"ledger_missing\">Our ledger has no posting <code>\(metadata.uuidString.lowercased())</code>, which the line’s metadata names.</p>"
        } else {
            body += "<p data-field=\"ledger_missing\">Our ledger has no clearing leg for this line.</p>"
        }
        // Where to look next when our side is missing: the processor's ids, through search.
        if view.leg == nil, view.posting == nil, let line = view.line {
            let lookups = [line.paymentIntentID, line.sourceID].compactMap { $0 }.map { id -> HTML in
                AdminHTML.link("/admin/search?q=\(AdminHTML.percentEncode(id))", id)
            }
            if !lookups.isEmpty {
                body += "<p>Search for " + HTML(stringLiteral: lookups.map(\.text).joined(separator: " or ")) + " among our payments and refunds.</p>"
            }
        }
        if let posting = view.posting {
            body += AdminHTML.fields([
                .init("Posting", field: "transaction_id", Self.postingLink(posting.id) + " " + AdminHTML.status(posting.kind)),
                .init("Description", text: posting.description),
                .init("Dated", AdminFormat.time(posting.createdAt)),
            ]) + Self.entries(posting, currency: posting.currency)
        }
        if let correction = view.correction {
            body += "<h3>Its correction</h3>" + AdminHTML.fields([
                .init("Posting", Self.postingLink(correction.id) + " " + AdminHTML.status(correction.kind)),
                .init("Dated", AdminFormat.time(correction.createdAt)),
            ]) + Self.entries(correction, currency: view.exception.ledgerCurrency)
        }
        if let driverID = view.driverID {
            body += AdminHTML.fields([.init("Driver", field: "driver_id", AdminHTML.link(Self.driverPath(driverID), driverID.uuidString.lowercased())
                                            + " · " + Self.accountLink(LedgerAccount.driverCash(driverID).id))])
        }
        return AdminHTML.section("Our ledger", id: "ledger", body)
    }

    /// A posting's entries as debits and credits.
    static func entries(_ posting: LedgerPostingDetail, currency: String) -> HTML {
        let rows = posting.entries.map { entry -> [HTML] in
            [accountLink(entry.accountID), entry.amount > 0 ? "\(money(entry.amount, currency))" : "", entry.amount < 0 ? "\(money(-entry.amount, currency))" : ""]
        }
        return AdminHTML.table(["Account", "Debit", "Credit"], rows, empty: "No entries.", numeric: [1, 2])
    }

    /// What each kind means and where finance usually looks.
    static func explanation(_ kind: ExceptionKind) -> String {
        switch kind {
        case .missingInternal: "The processor settled this and it carries our metadata, but our ledger has no such movement: usually a webhook we never received."
        case .unknownReference: "Neither the processor’s id nor our metadata matches anything in our ledger: it may not be ours."
        case .amountMismatch: "Our clearing leg and the processor’s line disagree on the amount."
        case .currencyMismatch: "Our clearing leg and the processor’s line disagree on the currency."
        case .duplicateLine: "The same balance transaction appears twice in one report; the first was used."
        case .alreadySettled: "An earlier report settled this already; the processor sent it again."
        case .payoutMismatch: "The payout’s lines do not add up to the amount the processor paid out."
        case .missingAtProcessor: "Our clearing leg has not been settled by any report within the allowed days."
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
