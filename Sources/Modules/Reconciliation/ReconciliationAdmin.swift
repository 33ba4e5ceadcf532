public import AdminUI
public import AppKernel
public import Foundation
import HTTPServer
import Identity
import Ledger
import Payments

/// Reconciliation for finance (issue #13 item 4): the runs (every imported settlement report,
/// with its counts, payouts and lines), the upload form, the exceptions queue and one
/// exception with both sides side by side, and the actions that work an exception: assign,
/// resolve with a note, reopen, and a correcting ledger posting under four-eyes. Everyone who
/// reads money pages reads these; only finance (`reconcile`) uploads and works exceptions.
public struct ReconciliationAdmin: AdminSection {
    let app: AppContext
    let reconciliation: Reconciliation
    var store: ReconciliationStore { ReconciliationStore(database: app.database) }
    var payments: Payments { reconciliation.payments }

    /// The section, working exceptions through `reconciliation`.
    public init(app: AppContext, reconciliation: Reconciliation) {
        self.app = app
        self.reconciliation = reconciliation
    }

    /// Ops-home counts stop here (counting further would cost more than it tells).
    static let countCap = 10_000
    /// An uploaded report, gzipped or not (the server's HTTP_MAX_BODY_BYTES caps it further).
    static let uploadLimit = 64 * 1024 * 1024
    /// Rows per page of every list here.
    static let pageSize = 50

    /// Runs and the queue, under Money.
    public var navigation: [AdminNavItem] {
        [AdminNavItem("Reconciliation runs", Self.runsPath, group: "Money"),
         AdminNavItem("Reconciliation exceptions", Self.queuePath, group: "Money")]
    }

    /// Every page reads with `read`; the upload needs `reconcile` (finance).
    public var pages: [AdminPage] {
        [
            .get(Self.runsPath, .read) { try await runs($0) },
            .upload(Self.uploadPath, .reconcile, limit: Self.uploadLimit) { try await upload($0) },
            .get("/admin/reconciliation/runs/{id}", .read) { try await run($0) },
            .get(Self.queuePath, .read) { try await queue($0) },
            .get("/admin/reconciliation/exceptions/{id}", .read) { try await exception($0) },
        ]
    }

    /// The open exceptions, for everyone who reads money pages.
    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        guard staff.may(AdminPermission.read.rawValue) else { return [] }
        return [AdminHomeItem("Reconciliation exceptions", try await reconciliation.openExceptionCount(cap: Self.countCap), path: Self.queuePath,
                              kind: .queue, wantsAttention: true)]
    }

    /// An exception or a run by id; a settlement line by the processor's balance transaction
    /// id (`txn_…`), which leads to its exception when it has one.
    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        var hits: [AdminSearchHit] = []
        if let id = query.uuid {
            if let exception = try await store.exception(id: id) {
                hits.append(AdminSearchHit(type: "Reconciliation exceptions", title: exception.kind.title,
                                           facts: "\(exception.isOpen ? "open" : "resolved") · difference \(Self.money(exception.difference, exception.ledgerCurrency))",
                                           path: Self.exceptionPath(id)))
            }
            if let run = try await store.run(id: id) {
                hits.append(AdminSearchHit(type: "Reconciliation runs", title: run.fileName,
                                           facts: "\(run.lineCount) lines · \(run.exceptionCount) exceptions · \(AdminFormat.localText(run.startedAt, seconds: false))",
                                           path: Self.runPath(id)))
            }
        }
        if query.text.hasPrefix("txn_") {
            for line in try await store.lines(balanceTransactionID: query.text, limit: 10) {
                let exceptions = try await store.exceptionIDs(runID: line.runID, lineNumbers: [line.lineNumber])
                hits.append(AdminSearchHit(type: "Settlement lines", title: "\(line.balanceTransactionID) · \(line.outcome.replacingOccurrences(of: "_", with: " "))",
                                           facts: "\(Self.money(line.grossAmount, line.currency)) · payout \(line.payoutID) · line \(line.lineNumber)",
                                           path: exceptions[line.lineNumber].map(Self.exceptionPath) ?? Self.linePath(line.runID, line.lineNumber)))
            }
        }
        return hits
    }

    // MARK: - Paths

    static let runsPath = "/admin/reconciliation"
    static let uploadPath = "/admin/reconciliation/uploads"
    static let queuePath = "/admin/reconciliation/exceptions"
    /// One run's page.
    static func runPath(_ id: UUID) -> String { "/admin/reconciliation/runs/\(id.uuidString.lowercased())" }
    /// One exception's page.
    static func exceptionPath(_ id: UUID) -> String { "/admin/reconciliation/exceptions/\(id.uuidString.lowercased())" }
    /// A line on its run's page (the run's lines list starts just before it).
    static func linePath(_ runID: UUID, _ line: Int) -> String { runPath(runID) + "?cursor=\(max(line - 1, 0))#lines" }
    /// Driver 360.
    static func driverPath(_ id: UUID) -> String { "/admin/drivers/\(id.uuidString.lowercased())" }

    // MARK: - Formats

    /// Currencies without minor units (ISO 4217 exponent 0, as the processor treats them).
    static let zeroDecimal: Set<String> = ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]

    /// `£12.50`, `EUR 12.50`, `JPY 1,250`; a dash for nothing.
    static func money(_ minor: Int64?, _ currency: String) -> String {
        guard let minor else { return "—" }
        let code = currency.uppercased()
        guard zeroDecimal.contains(code) else { return AdminFormat.money(minor, currency: code) }
        let digits = String(minor.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return "\(minor < 0 ? "−" : "")\(code) \(grouped)"
    }

    /// A positive amount typed in the currency's major units ("12.50"; "1250" for yen), in minor units.
    static func amount(_ text: String, currency: String) -> Int64? {
        let code = currency.uppercased()
        guard zeroDecimal.contains(code) else { return AdminActionRequest.pence(fromPounds: text) }
        let digits = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        guard (1...10).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }

    /// What a form shows for an amount in minor units: "12.50", or "1250" for yen.
    static func amountInput(_ minor: Int64, currency: String) -> String {
        let magnitude = minor.magnitude
        if zeroDecimal.contains(currency.uppercased()) { return String(magnitude) }
        return "\(magnitude / 100).\(magnitude % 100 < 10 ? "0" : "")\(magnitude % 100)"
    }

    /// `3 d 4 h`, `5 h 12 min`, `40 min`.
    static func age(_ since: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(since)))
        if seconds >= 86_400 { return "\(seconds / 86_400) d \((seconds % 86_400) / 3600) h" }
        return AdminFormat.duration(seconds)
    }

    /// Secondary text.
    static func muted(_ text: String) -> HTML { "<span class=\"muted\">\(text)</span>" }

    /// An id as code, or a dash.
    static func code(_ text: String?) -> HTML { text.map { "<code>\($0)</code>" as HTML } ?? muted("—") }

    /// A ledger posting's page, by its short id.
    static func postingLink(_ id: UUID) -> HTML { AdminHTML.idLink(Ledger.adminPath(posting: id), id) }

    /// A ledger account's page, by its name.
    static func accountLink(_ id: String) -> HTML { "<a href=\"\(Ledger.adminPath(account: id))\" title=\"\(id)\">\(Ledger.accountName(id))</a>" }

    // MARK: - Staff

    /// Everyone on the staff by `staff:<id>` (assignees' names; a short list).
    func staffNames() async throws -> [String: StaffMember] {
        Dictionary(try await StaffDirectory(app: app).members().map { ("staff:\($0.id.uuidString.lowercased())", $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `staff:<id>`, as the trail and the exceptions name staff.
    static func actor(_ staff: StaffCaller) -> String { "staff:\(staff.id.uuidString.lowercased())" }

    /// `staff:<id>` as the person's name (or the actor as stored, for `cli:` and `system:`).
    static func person(_ actor: String?, _ staff: [String: StaffMember], me: StaffCaller? = nil) -> HTML {
        guard let actor else { return muted("nobody") }
        guard let member = staff[actor] else { return "\(actor)" }
        let you: HTML = me.map { Self.actor($0) == actor } == true ? " (you)" : ""
        return "<span title=\"\(member.email)\">\(member.name)</span>\(you)"
    }
}
