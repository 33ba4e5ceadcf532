import AdminUI
import AppKernel
import Foundation
import Identity
import Ledger
import Postgres
import Reconciliation
import TestSupport
import Testing

/// Issue #13 item 4, finance in the admin: a report uploaded through the form, the runs, the
/// exceptions queue and its filters, an exception's page, and the actions that work it (assign,
/// resolve, reopen, and a correcting posting that needs a second person and books once), with
/// their audit events; the ops-home count; who may see and do what.
@Suite(.tags(.database)) struct ReconciliationAdminTests {
    /// A report about fresh clearing legs: one line matched, one differing by a penny, one our
    /// ledger lacks (with our metadata), one not ours, and the first line again.
    struct Report {
        let fixture: ReconFixture
        let payout: String
        let lines: [String]
        let csv: [UInt8]
        let matched: ReconFixture.Leg
        let differs: ReconFixture.Leg
        let lostTransaction: UUID
    }

    static func report(intent: String? = nil, source: String? = nil) async throws -> Report {
        let r = try ReconFixture()
        let matched = try await r.leg(amount: 2_000)
        let differs = try await r.leg(amount: 1_000)
        let lost = UUID()
        let payout = r.uniqueID("po")
        var missing = r.line(payout, source: r.uniqueID("ch"), gross: "7.50", fee: "0.31", metadata: lost).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if let intent { missing[14] = intent }
        if let source { missing[10] = source }
        let lines = [
            r.line(payout, source: matched.ref, gross: "20.00", fee: "0.50", metadata: matched.transaction),
            r.line(payout, source: differs.ref, gross: "10.01", fee: "0.35", metadata: differs.transaction),
            missing.joined(separator: ","),
            r.line(payout, source: r.uniqueID("ch"), gross: "3.00", fee: "0.25", metadata: nil),
        ]
        let all = lines + [lines[0]]
        return Report(fixture: r, payout: payout, lines: all, csv: Array((ReconFixture.header + "\n" + all.joined(separator: "\n") + "\n").utf8),
                      matched: matched, differs: differs, lostTransaction: lost)
    }

    static func exceptionID(run: String, kind: String) async throws -> String {
        try await TestDatabase.pool.queryValue("""
            SELECT id FROM reconciliation.exceptions WHERE run_id = \(UUID(uuidString: run)!) AND kind = \(kind)
            """, as: UUID.self).uuidString.lowercased()
    }

    static func runID(in page: TestResponse) throws -> String {
        let range = try #require(page.text.range(of: #"/admin/reconciliation/runs/[0-9a-f-]{36}"#, options: .regularExpression))
        return String(page.text[range].suffix(36))
    }

    @Test func financeUploadsAReportAndSeesItsRunAndExceptions() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        let report = try await Self.report()

        // The runs page carries the form for finance; the upload imports and shows the summary.
        let runs = try await finance.get("/admin/reconciliation")
        #expect(runs.status == 200)
        #expect(runs.text.contains("data-action=\"upload_report\"") && runs.text.contains("enctype=\"multipart/form-data\""))
        let imported = try await finance.upload("/admin/reconciliation/uploads", fileName: "payout.csv", bytes: report.csv)
        #expect(imported.status == 200, "\(imported.text.prefix(800))")
        let summary = AdminPageReader(imported)
        #expect(summary.text("import_result")?.hasPrefix("Imported payout.csv") == true)
        #expect(summary.text("line_count") == "5")
        #expect(summary.text("matched_count") == "1")
        #expect(summary.text("exception_count") == "4")
        #expect(summary.text("exceptions_amount_mismatch") == "1" && summary.text("exceptions_duplicate_line") == "1")
        let run = try Self.runID(in: imported)
        // The import audits itself, as the member of staff who uploaded it.
        let audited = try await TestDatabase.pool.queryValue("""
            SELECT count(*)::int8 FROM audit.events WHERE action = 'reconciliation.imported' AND object_id = \(run) AND actor LIKE 'staff:%'
            """, as: Int.self)
        #expect(audited == 1)

        // Again: nothing changes; gzipped, the same content is the same report.
        let again = try await finance.upload("/admin/reconciliation/uploads", fileName: "payout.csv.gz", bytes: try ReconFixture.gzip(report.csv))
        #expect(again.status == 200)
        #expect(AdminPageReader(again).text("import_result")?.contains("imported already as run \(run.prefix(8)): nothing changed") == true)
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM reconciliation.lines WHERE payout_id = \(report.payout)", as: Int.self) == 5)

        // A malformed file: refused whole with its line number, nothing written.
        let bad = Array((ReconFixture.header + "\n" + report.lines[0] + "\nnot,a,line\n").utf8)
        let refused = try await finance.upload("/admin/reconciliation/uploads", fileName: "bad.csv", bytes: bad)
        #expect(refused.status == 422)
        #expect(refused.text.contains("line 3"), "\(refused.text.prefix(600))")
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM reconciliation.runs WHERE file_name = 'bad.csv'", as: Int.self) == 0)
        // No file, another kind of file, a form without its CSRF token.
        #expect(try await finance.upload("/admin/reconciliation/uploads", fileName: "", bytes: []).status == 422)
        #expect(try await finance.upload("/admin/reconciliation/uploads", fileName: "notes.pdf", bytes: Array("%PDF".utf8)).status == 422)
        #expect(try await finance.upload("/admin/reconciliation/uploads", fileName: "payout.csv", bytes: report.csv, csrf: "forged").status == 403)
        #expect(try await finance.post("/admin/reconciliation/uploads", ["report": "x"]).status == 415, "a file needs multipart/form-data")

        // The run's page: counts by outcome and kind, its payout and settlement posting, lines by outcome.
        let runPage = try await finance.get("/admin/reconciliation/runs/\(run)")
        #expect(runPage.status == 200)
        let page = AdminPageReader(runPage)
        #expect(page.text("outcome_matched") == "1" && page.text("outcome_missing_internal") == "1" && page.text("outcome_unknown_reference") == "1")
        #expect(page.text("open_amount_mismatch") == "1")
        #expect(runPage.text.contains(report.payout))
        let settlement = try await TestDatabase.pool.queryValue("""
            SELECT ledger_transaction_id FROM reconciliation.run_payouts WHERE run_id = \(UUID(uuidString: run)!) AND payout_id = \(report.payout)
            """, as: UUID.self).uuidString.lowercased()
        #expect(runPage.text.contains("/admin/ledger/transactions/\(settlement)"), "links the payout's settlement posting")
        #expect(runPage.text.contains("History") && runPage.text.contains("reconciliation.imported"))
        let onlyMismatches = try await finance.get("/admin/reconciliation/runs/\(run)?outcome=amount_mismatch")
        #expect(onlyMismatches.text.contains(report.differs.ref) && !onlyMismatches.text.contains(report.matched.ref))
        let onlyMatched = try await finance.get("/admin/reconciliation/runs/\(run)?outcome=matched")
        #expect(onlyMatched.text.contains(report.matched.ref) && !onlyMatched.text.contains(report.differs.ref))
        #expect(try await finance.get("/admin/reconciliation/runs/\(run)?cursor=x").status == 400)
        #expect(try await finance.get("/admin/reconciliation/runs/\(UUID().uuidString.lowercased())").status == 404)
        #expect(try await finance.get("/admin/reconciliation").text.contains("/admin/reconciliation/runs/\(run)"))

        // The queue: open by default, filters that narrow it, refusals that name the bad value.
        let queue = try await finance.get("/admin/reconciliation/exceptions?run=\(run)")
        #expect(queue.status == 200)
        let mismatch = try await Self.exceptionID(run: run, kind: "amount_mismatch")
        let missing = try await Self.exceptionID(run: run, kind: "missing_internal")
        #expect(queue.text.contains(mismatch) && queue.text.contains(missing))
        #expect(queue.text.contains(report.differs.ref), "the processor's side of each row")
        let kinds = try await finance.get("/admin/reconciliation/exceptions?run=\(run)&kind=missing_internal&kind=unknown_reference")
        #expect(kinds.text.contains(missing) && !kinds.text.contains(mismatch))
        #expect(!(try await finance.get("/admin/reconciliation/exceptions?run=\(run)&status=resolved")).text.contains(mismatch))
        #expect(!(try await finance.get("/admin/reconciliation/exceptions?run=\(run)&older_than_days=1")).text.contains(mismatch))
        #expect(try await finance.get("/admin/reconciliation/exceptions?run=\(run)&older_than_days=0").text.contains(mismatch))
        #expect(try await finance.get("/admin/reconciliation/exceptions?run=\(run)&assignee=unassigned").text.contains(mismatch))
        #expect(!(try await finance.get("/admin/reconciliation/exceptions?run=\(run)&assignee=me")).text.contains(mismatch))
        let oldest = try await finance.get("/admin/reconciliation/exceptions?run=\(run)&order=oldest")
        #expect(oldest.status == 200 && oldest.text.contains(mismatch))
        for bad in ["kind=nonsense", "status=closed", "older_than_days=-1", "assignee=someone", "run=nope", "order=sideways", "cursor=zzz"] {
            #expect(try await finance.get("/admin/reconciliation/exceptions?\(bad)").status == 400, "\(bad)")
        }
        // Search: an exception's id, and the processor's balance transaction id of its line.
        #expect(try await finance.get("/admin/search?q=\(mismatch)").header("location") == "/admin/reconciliation/exceptions/\(mismatch)")
        let balanceTransaction = report.lines[1].split(separator: ",")[2]
        #expect(try await finance.get("/admin/search?q=\(balanceTransaction)").header("location") == "/admin/reconciliation/exceptions/\(mismatch)")

        // CSV export of the filtered queue, on the audit trail; a role without export may not.
        let csv = try await finance.get("/admin/reconciliation/exceptions?run=\(run)&kind=amount_mismatch&format=csv")
        #expect(csv.status == 200 && csv.header("content-type")?.hasPrefix("text/csv") == true)
        #expect(csv.text.hasPrefix("id,kind,status,opened_at,run_id,line_number,balance_transaction_id,"))
        #expect(csv.text.contains("\(mismatch),amount_mismatch,open,") && csv.text.contains(",1001,1000,1,") && !csv.text.contains(missing))
        let exports = try await TestDatabase.pool.queryValue("""
            SELECT count(*)::int8 FROM audit.events WHERE action = 'reconciliation.exceptions_exported' AND after->>'filters' LIKE \("%run=\(run)%")
            """, as: Int.self)
        #expect(exports == 1)
        let support = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await support.get("/admin/reconciliation/exceptions?run=\(run)&format=csv").status == 403)

        // The exception's page: both sides, the difference, its run and payout, history.
        let shown = try await finance.get("/admin/reconciliation/exceptions/\(mismatch)")
        #expect(shown.status == 200)
        let both = AdminPageReader(shown)
        #expect(both.text("processor_amount") == "£10.01" && both.text("ledger_amount") == "£10.00" && both.text("difference") == "£0.01")
        #expect(both.text("source_id") == report.differs.ref && both.text("external_ref") == report.differs.ref)
        #expect(shown.text.contains("/admin/ledger/transactions/\(report.differs.transaction.uuidString.lowercased())"))
        #expect(shown.text.contains("/admin/reconciliation/runs/\(run)") && shown.text.contains(report.payout))
        #expect(shown.text.contains("data-action=\"correct_exception\"") && shown.text.contains("data-action=\"resolve_exception\""))
        // A line our ledger lacks says so, naming the posting its metadata names.
        let lost = try await finance.get("/admin/reconciliation/exceptions/\(missing)")
        #expect(AdminPageReader(lost).text("ledger_missing")?.contains(report.lostTransaction.uuidString.lowercased()) == true)
        // The duplicate line points at the line that settled it first.
        let duplicate = try await finance.get("/admin/reconciliation/exceptions/\(try await Self.exceptionID(run: run, kind: "duplicate_line"))")
        #expect(AdminPageReader(duplicate).text("suggestion")?.contains("earlier in this report, line 2") == true)

        // Reading is for every money reader; working is finance's: support sees no forms and is refused the POSTs.
        let supportView = try await support.get("/admin/reconciliation/exceptions/\(mismatch)")
        #expect(supportView.status == 200 && !supportView.text.contains("data-action=\"resolve_exception\""))
        #expect(!(try await support.get("/admin/reconciliation")).text.contains("upload_report"))
        #expect(try await support.upload("/admin/reconciliation/uploads", fileName: "payout.csv", bytes: report.csv).status == 403)
        #expect(try await support.post("/admin/actions/resolve_exception", ["object": mismatch, "reason": "other", "note": "x"]).status == 403)
        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        #expect(try await admin.get("/admin/reconciliation/exceptions").status == 403)
    }

    @Test func assignResolveAndReopenAreAudited() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let finance = try await StaffBrowser.signedIn(server, role: .finance, name: "Fiona Finance")
        let colleague = try await StaffBrowser.signedIn(server, role: .finance, name: "Colin Colleague")
        let report = try await Self.report()
        let run = try Self.runID(in: try await finance.upload("/admin/reconciliation/uploads", fileName: "work.csv", bytes: report.csv))
        let id = try await Self.exceptionID(run: run, kind: "unknown_reference")
        let colleagueID = try #require(try await StaffDirectory(app: server.app).members().first { $0.email == colleague.email }?.id)

        // Assign to me, then to a colleague; the queue's assignee filter follows.
        let mine = try await finance.act("assign_exception", ["object": id, "assignee": "me", "reason": "other", "note": "taking it"])
        #expect(mine.response.status == 303)
        #expect(try await finance.get("/admin/reconciliation/exceptions?assignee=me&run=\(run)").text.contains(id))
        let (plan, token) = try await finance.plan("assign_exception", ["object": id, "assignee": colleagueID.uuidString.lowercased(), "reason": "other", "note": "yours"])
        #expect(AdminPageReader(plan).text("effect")?.contains("to Colin Colleague") == true)
        #expect(try await finance.confirm("assign_exception", token: try #require(token)).status == 303)
        #expect(try await colleague.get("/admin/reconciliation/exceptions?assignee=me&run=\(run)").text.contains(id))
        #expect(try await finance.get("/admin/reconciliation/exceptions?assignee=\(colleagueID.uuidString.lowercased())&run=\(run)").text.contains(id))
        #expect(try await finance.plan("assign_exception", ["object": id, "assignee": UUID().uuidString, "reason": "other", "note": "?"]).page.status == 422)

        // Resolve: a note is required; the exception leaves the open queue.
        #expect(try await finance.plan("resolve_exception", ["object": id, "reason": "other"]).page.status == 422)
        let resolved = try await finance.act("resolve_exception", ["object": id, "reason": "duplicate", "note": "a test charge of the processor's own"])
        #expect(resolved.response.status == 303)
        let page = AdminPageReader(try await finance.get("/admin/reconciliation/exceptions/\(id)"))
        #expect(page.status("status") == "resolved")
        #expect(page.text("resolution_note") == "a test charge of the processor's own")
        #expect(!(try await finance.get("/admin/reconciliation/exceptions?run=\(run)")).text.contains(id))
        #expect(try await finance.get("/admin/reconciliation/exceptions?run=\(run)&status=resolved").text.contains(id))
        #expect(try await finance.plan("resolve_exception", ["object": id, "reason": "other", "note": "again"]).page.status == 409)

        // Reopen: back in the queue, its resolution cleared.
        let reopened = try await finance.act("reopen_exception", ["object": id, "reason": "ops_error", "note": "resolved too early"])
        #expect(reopened.response.status == 303)
        #expect(AdminPageReader(try await finance.get("/admin/reconciliation/exceptions/\(id)")).status("status") == "open")
        #expect(try await finance.plan("reopen_exception", ["object": id, "reason": "other", "note": "again"]).page.status == 409)

        let actions = try await TestDatabase.pool.queryAll("""
            SELECT action, actor, reason_code FROM audit.events WHERE object_type = 'reconciliation_exception' AND object_id = \(id) ORDER BY occurred_at, id
            """) { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(String.self, at: 1).prefix(6)) \(try $0.decode(String?.self, at: 2) ?? "")" }
        #expect(actions == ["reconciliation.exception_assigned staff: other", "reconciliation.exception_assigned staff: other",
                            "reconciliation.exception_resolved staff: duplicate", "reconciliation.exception_reopened staff: ops_error"])
        let history = try await finance.get("/admin/reconciliation/exceptions/\(id)")
        #expect(history.text.contains("reconciliation.exception_reopened"))
    }

    @Test func aCorrectionNeedsASecondPersonAndBooksOnce() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let maker = try await StaffBrowser.signedIn(server, role: .finance)
        let checker = try await StaffBrowser.signedIn(server, role: .finance)
        let report = try await Self.report()
        let run = try Self.runID(in: try await maker.upload("/admin/reconciliation/uploads", fileName: "correct.csv", bytes: report.csv))
        let id = try await Self.exceptionID(run: run, kind: "missing_internal")
        let exceptionID = UUID(uuidString: id)!

        // The form offers what makes sense for the kind, with the line's gross as the amount.
        let page = try await maker.get("/admin/reconciliation/exceptions/\(id)")
        #expect(page.text.contains("value=\"driver_cash\"") && page.text.contains("value=\"premium_income\"") && page.text.contains("value=\"7.50\""))
        #expect(try await maker.plan("correct_exception", ["object": id, "account": "bank", "amount": "7.50", "direction": "to_account",
                                                           "reason": "other", "note": "x"]).page.status == 422, "bank is not offered for this kind")
        #expect(try await maker.plan("correct_exception", ["object": id, "account": "driver_cash", "driver": UUID().uuidString, "amount": "7.50",
                                                           "direction": "to_account", "reason": "other", "note": "x"]).page.status == 404)
        #expect(try await maker.plan("correct_exception", ["object": id, "account": "premium_income", "amount": "7.50", "direction": "to_account",
                                                           "reason": "other"]).page.status == 422, "a note is required")

        // The plan states the exact posting; confirming files it for approval, nothing moves.
        let (plan, token) = try await maker.plan("correct_exception", ["object": id, "account": "premium_income", "amount": "7.50", "direction": "to_account",
                                                                       "reason": "ops_error", "note": "a block sold by card, its webhook lost"])
        let effect = try #require(AdminPageReader(plan).text("effect"))
        #expect(effect.contains("debit Settlement suspense and credit Premium income £7.50"), "\(effect)")
        #expect(plan.text.contains("another person’s approval"))
        let filed = try await maker.confirm("correct_exception", token: try #require(token))
        let approval = try #require(token)
        #expect(filed.header("location") == "/admin/approvals/\(approval)")
        let posting = Ledger.transactionID(causedBy: Reconciliation.correctionCause(exceptionID))
        #expect(try await Ledger().posting(posting, on: TestDatabase.pool) == nil)

        // The maker cannot approve it, nor can a role without reconcile; another member of finance can.
        #expect(try await maker.post("/admin/approvals/\(approval)/approve", ["note": "mine"]).status == 403)
        let seniorOps = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await seniorOps.post("/admin/approvals/\(approval)/approve", [:]).status == 403)
        _ = try await checker.get("/admin/approvals/\(approval)")
        #expect(try await checker.post("/admin/approvals/\(approval)/approve", ["note": "checked the processor's dashboard"]).status == 303)
        #expect(try await checker.post("/admin/approvals/\(approval)/approve", [:]).status == 409, "approving twice does nothing")
        #expect(try await maker.confirm("correct_exception", token: approval).status == 303, "a replayed confirmation shows the first result")

        // One balanced posting, the exception resolved with it.
        let booked = try #require(try await Ledger().posting(posting, on: TestDatabase.pool))
        #expect(booked.kind == "reconciliation_correction")
        #expect(Set(booked.entries.map { "\($0.accountID) \($0.amount)" }) == ["settlement_suspense 750", "premium_income -750"])
        #expect(booked.entries.reduce(0) { $0 + $1.amount } == 0)
        let resolved = try #require(try await report.fixture.reconciliation.exception(exceptionID))
        #expect(!resolved.isOpen && resolved.correctingTransactionID == posting)
        #expect(resolved.resolutionNote == "a block sold by card, its webhook lost")
        let shown = AdminPageReader(try await maker.get("/admin/reconciliation/exceptions/\(id)"))
        #expect(shown.text("correcting_transaction_id") == AdminFormat.shortID(posting))
        let events = try await TestDatabase.pool.queryAll("""
            SELECT approval_id FROM audit.events WHERE action = 'reconciliation.exception_corrected' AND object_id = \(id)
            """) { try $0.decode(UUID?.self, at: 0) }
        #expect(events == [UUID(uuidString: approval)])

        // Reopened, it cannot be corrected a second time: one correction per exception, ever.
        #expect(try await maker.act("reopen_exception", ["object": id, "reason": "other", "note": "check again"]).response.status == 303)
        #expect(try await maker.plan("correct_exception", ["object": id, "account": "premium_income", "amount": "7.50", "direction": "to_account",
                                                           "reason": "other", "note": "again"]).page.status == 409)
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM ledger.transactions WHERE related_id = \(exceptionID)", as: Int.self) == 1)
    }

    @Test func aSuggestionNamesTheOnePaymentWithTheLinesIntent() async throws {
        let (server, _) = try Fixtures.serverWithPSP()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let topUp = try await driver.topUp(1500, card: card).json()
        let paymentID = try #require(topUp["id"] as? String)
        let intent = try await TestDatabase.pool.queryValue("SELECT psp_intent_id FROM payments.payments WHERE id = \(UUID(uuidString: paymentID)!)", as: String.self)
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        let report = try await Self.report(intent: intent)
        let run = try Self.runID(in: try await finance.upload("/admin/reconciliation/uploads", fileName: "suggest.csv", bytes: report.csv))
        let page = try await finance.get("/admin/reconciliation/exceptions/\(try await Self.exceptionID(run: run, kind: "missing_internal"))")
        let suggestion = try #require(AdminPageReader(page).text("suggestion"))
        #expect(suggestion.contains(intent) && suggestion.contains("top up"))
        #expect(page.text.contains("/admin/payments/\(paymentID)") && page.text.contains("/admin/drivers/\(driver.id)"))
        #expect(suggestion.contains("its captured posting"), "the top-up was booked: the suggestion says so rather than offering to book it again")
        // A payment the processor charged whose capture our ledger never booked (its webhook
        // lost: made here as the schema's owner, a copy of the real one with its own ids), found
        // by its charge alone: the suggestion says so and the correction form offers the
        // driver's cash with the driver filled in.
        let lostPayment = UUID(), lostCharge = report.fixture.uniqueID("ch")
        try await TestDatabase.ownerPool.execute("""
            INSERT INTO payments.payments (id, driver_id, purpose, amount, currency, payment_method_id, status, psp_intent_id, created_at, updated_at, psp_charge_id)
            SELECT \(lostPayment), driver_id, purpose, 750, currency, payment_method_id, 'succeeded', \(report.fixture.uniqueID("pi")), created_at, updated_at, \(lostCharge)
            FROM payments.payments WHERE id = \(UUID(uuidString: paymentID)!)
            """)
        let byCharge = try await Self.report(source: lostCharge)
        let chargeRun = try Self.runID(in: try await finance.upload("/admin/reconciliation/uploads", fileName: "charge.csv", bytes: byCharge.csv))
        let chargePage = try await finance.get("/admin/reconciliation/exceptions/\(try await Self.exceptionID(run: chargeRun, kind: "missing_internal"))")
        let byChargeText = try #require(AdminPageReader(chargePage).text("suggestion"))
        #expect(byChargeText.contains("The line’s charge \(lostCharge) is exactly one of our payments") && byChargeText.contains("never booked"))
        #expect(chargePage.text.contains("<option value=\"driver_cash\" selected>") && chargePage.text.contains("name=\"driver\" value=\"\(driver.id)\""))
        // Without such a payment there is no suggestion at all.
        let other = try await finance.get("/admin/reconciliation/exceptions/\(try await Self.exceptionID(run: run, kind: "unknown_reference"))")
        #expect(AdminPageReader(other).text("suggestion") == nil)
    }

    @Test func opsHomeCountsTheOpenExceptions() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        _ = try await finance.upload("/admin/reconciliation/uploads", fileName: "home.csv", bytes: try await Self.report().csv)
        let open = { try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM reconciliation.exceptions WHERE status = 'open'", as: Int.self) }
        let before = try await open()
        let home = try await finance.get("/admin/")
        let after = try await open()
        let count = try #require(AdminPageReader(home).count("reconciliation_exceptions"))
        // Other tests open and resolve exceptions meanwhile: the count lies between the two readings.
        #expect(count >= min(before, after) && count <= max(before, after) && count >= 4)
        #expect(home.text.contains("href=\"/admin/reconciliation/exceptions\""))
        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        #expect(AdminPageReader(try await admin.get("/admin/")).count("reconciliation_exceptions") == nil, "admins see no money queues")
    }
}

extension StaffBrowser {
    /// A file upload as a browser sends it (`multipart/form-data`), with the last page's CSRF
    /// token unless `csrf` is given.
    func upload(_ path: String, field: String = "report", fileName: String, bytes: [UInt8], csrf: String? = nil) async throws -> TestResponse {
        let boundary = "----hourglass\(UUID().uuidString.prefix(8))"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf ?? self.csrf ?? "")\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(fileName)\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
        body += bytes + Array("\r\n--\(boundary)--\r\n".utf8)
        return try await send("POST", path, body: body, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")])
    }
}
