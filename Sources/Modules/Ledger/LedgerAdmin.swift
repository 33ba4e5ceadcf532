public import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer
import Postgres

/// The ledger in the admin: the journal (postings newest first with their entries), one
/// posting, the accounts with their balances (house accounts summed over their shards), one
/// account's entries, and the check that every driver account's maintained balance equals the
/// sum of its entries and every posting sums to zero. Read only: the ledger is append-only.
public struct LedgerAdmin: AdminSection {
    let app: AppContext
    var store: LedgerStore { LedgerStore(database: app.database) }

    /// How many accounts and postings one visit of the check page looks at.
    static let checkBatch = 5000

    public var navigation: [AdminNavItem] {
        [AdminNavItem("Journal", "/admin/ledger", group: "Money"),
         AdminNavItem("Ledger accounts", "/admin/ledger/accounts", group: "Money"),
         AdminNavItem("Ledger check", "/admin/ledger/check", group: "Money")]
    }

    public var pages: [AdminPage] {
        [
            .get("/admin/ledger", .read) { try await journal($0) },
            .get("/admin/ledger/transactions/{id}", .read) { try await transaction($0) },
            .get("/admin/ledger/accounts", .read) { try await accounts($0) },
            .get("/admin/ledger/accounts/{account}", .read) { try await account($0) },
            .get("/admin/ledger/check", .read) { try await checkPage($0) },
        ]
    }

    static let houseAccounts: [LedgerAccount] = [.pspClearing, .premiumIncome, .iptPayable, .promoFunding, .walletAdjustments, .badDebt]
    static let kinds = TransactionKind.allCases.map(\.rawValue)

    // MARK: - Journal

    func journal(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = LedgerStore.JournalFilter()
        filter.kinds = request.query.all("kind").filter(Self.kinds.contains)
        filter.driverID = try Self.uuid(request.query["driver"], "driver")
        filter.relatedID = try Self.uuid(request.query["related_id"], "related_id")
        // A posting's id derives from what caused it ("payment:<id>:captured", "refund:<id>").
        if let cause = request.query["caused_by"] { filter.transactionID = Ledger.transactionID(causedBy: cause) }
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let (postings, next) = page.page(try await store.journal(filter, page: page)) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let entries = Dictionary(grouping: try await store.entries(of: postings.map(\.id)), by: \.transactionID)
        let rows = postings.map { posting -> [HTML] in
            [AdminFormat.time(posting.createdAt), AdminHTML.idLink(Self.transactionPath(posting.id), posting.id),
             AdminHTML.status(posting.kind), "\(posting.description)",
             posting.driverID.map { AdminHTML.idLink("/admin/drivers/\($0.uuidString.lowercased())", $0) } ?? "<span class=\"muted\">house</span>",
             "\(AdminFormat.money(posting.amount, currency: posting.currency))",
             Self.compactEntries(entries[posting.id] ?? [], currency: posting.currency)]
        }
        let filters = AdminHTML.filters(request, [
            .init("kind", "Kind", .choices(Self.kinds)),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
            .init("related_id", "Related to", .text(placeholder: "payment, policy, session id")),
            .init("caused_by", "Caused by", .text(placeholder: "payment:<id>:captured")),
        ])
        let table = AdminHTML.table(["When", "Posting", "Kind", "Description", "Driver", "Driver amount", "Entries (debit + / credit −)"], rows,
                                    empty: "No postings match.", numeric: [5])
        return .page(AdminView(title: "Journal", body: filters + table + AdminHTML.pager(request, next: next)))
    }

    /// Entries in one cell: `Dr PSP clearing £20.00 · Cr Driver cash £20.00`.
    static func compactEntries(_ entries: [LedgerEntryRow], currency: String) -> HTML {
        HTML(stringLiteral: entries.map { entry -> String in
            let side = entry.amount >= 0 ? "Dr" : "Cr"
            return HTML("<div>\(side) \(accountLink(entry.accountID)) \(AdminFormat.money(abs(entry.amount), currency: currency))</div>").text
        }.joined())
    }

    func transaction(_ request: AdminRequest) async throws -> AdminResponse {
        guard let posting = try await store.transaction(id: try request.id()) else { throw AppError.notFound("no such posting") }
        let entries = try await store.entries(of: [posting.id])
        let total = entries.reduce(Int64(0)) { $0 + $1.amount }
        let balanced = total == 0 && entries.count >= 2
        let fields = AdminHTML.fields([
            .init("Kind", field: "type", AdminHTML.status(posting.kind)),
            .init("Description", field: "description", text: posting.description),
            .init("Driver amount", field: "amount", text: AdminFormat.money(posting.amount, currency: posting.currency)),
            .init("Of which IPT", field: "ipt_amount", text: AdminFormat.money(posting.iptAmount, currency: posting.currency)),
            .init("Funding", field: "funding", text: posting.funding),
            .init("Driver", field: "driver_id", posting.driverID.map {
                AdminHTML.link("/admin/drivers/\($0.uuidString.lowercased())", $0.uuidString.lowercased())
            } ?? "<span class=\"muted\">none: house accounts only</span>"),
            .init("Related to", field: "related_id", Self.related(posting)),
            .init("Dated", field: "created_at", AdminFormat.time(posting.createdAt)),
            .init("Balanced", field: "balanced", balanced ? AdminHTML.badge("yes: entries sum to zero", .good)
                  : AdminHTML.badge("no: \(entries.count) entries summing to \(AdminFormat.money(total))", .bad)),
        ])
        let rows = entries.map { entry -> [HTML] in
            [Self.accountLink(entry.accountID),
             entry.amount > 0 ? "\(AdminFormat.money(entry.amount, currency: posting.currency))" : "",
             entry.amount < 0 ? "\(AdminFormat.money(-entry.amount, currency: posting.currency))" : ""]
        }
        let debits = entries.filter { $0.amount > 0 }.reduce(Int64(0)) { $0 + $1.amount }
        let entriesTable = AdminHTML.table(["Account", "Debit", "Credit"], rows + [[
            "<strong>Total</strong>", "<strong>\(AdminFormat.money(debits, currency: posting.currency))</strong>",
            "<strong>\(AdminFormat.money(debits - total, currency: posting.currency))</strong>",
        ]], empty: "No entries.", numeric: [1, 2])
        let history = try await Audit.historySection(of: [("ledger_transaction", posting.id.uuidString.lowercased())], on: app.database)
        return .page(AdminView(title: "Posting · \(posting.description)",
                               body: AdminHTML.section("Posting", fields) + AdminHTML.section("Entries", entriesTable) + history,
                               crumbs: [("Journal", "/admin/ledger")]))
    }

    /// What a posting's `related_id` is, by its kind (the modules that post say so).
    static func related(_ posting: LedgerTransactionRow) -> HTML {
        guard let related = posting.relatedID else { return "<span class=\"muted\">—</span>" }
        let id = related.uuidString.lowercased()
        return switch posting.kind {
        case "top_up": "the payment " + AdminHTML.idLink("/admin/payments/\(id)", related)
        case "block_purchase": "the policy " + AdminHTML.idLink("/admin/policies/\(id)", related)
        case "session_charge": "the cover session " + AdminHTML.idLink("/admin/cover/sessions/\(id)", related)
        case "refund": "the policy refunded " + AdminHTML.idLink("/admin/policies/\(id)", related)
        default: "<code>\(id)</code>"
        }
    }

    // MARK: - Accounts

    func accounts(_ request: AdminRequest) async throws -> AdminResponse {
        let house = try await store.accounts(ids: Self.houseAccounts.map(\.id))
        let houseRows = house.map { account -> [HTML] in
            [Self.accountLink(account.id), "\(account.kind)", "\(AdminFormat.money(account.balance, currency: account.currency))", "\(account.shards)"]
        }
        let houseTable = AdminHTML.section("House accounts", AdminHTML.table(["Account", "Kind", "Balance (debits − credits)", "Balance shards"],
                                                                              houseRows, numeric: [2, 3])
            + "<p class=\"muted\">A house account keeps its balance in up to 16 shards, so that postings never queue on one row; its balance is their sum.</p>")
        let driverID = try Self.uuid(request.query["driver"], "driver")
        let drivers: [LedgerAccountRow]
        var next: String?
        if let driverID {
            drivers = try await store.accounts(ids: [LedgerAccount.driverCash(driverID).id, LedgerAccount.driverPromo(driverID).id])
        } else {
            let rows = try await store.driverAccounts(after: try Self.accountPosition(request.query["cursor"]), limit: 50)
            drivers = Array(rows.prefix(50))
            if rows.count > 50, let last = drivers.last { next = "\(Self.micros(last.createdAt))_\(last.id)" }
        }
        let driverRows = drivers.map { account -> [HTML] in
            let owner = Self.driver(of: account.id)
            return [Self.accountLink(account.id),
                    owner.map { AdminHTML.idLink("/admin/drivers/\($0.uuidString.lowercased())", $0) } ?? "",
                    "\(AdminFormat.money(-account.balance, currency: account.currency))", AdminFormat.time(account.createdAt)]
        }
        let filters = AdminHTML.filters(request, [.init("driver", "Driver id", .text(placeholder: "a driver's id"))])
        let driverTable = AdminHTML.section("Drivers’ accounts", filters + AdminHTML.table(["Account", "Driver", "Owed to the driver", "Opened"], driverRows,
                                                                                             empty: "No driver accounts match.", numeric: [2])
            + AdminHTML.pager(request, next: next))
        return .page(AdminView(title: "Ledger accounts", body: houseTable + driverTable))
    }

    func account(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.parameter("account")
        guard let account = try await store.account(id: id) else { throw AppError.notFound("no such ledger account") }
        let before: Int64? = try request.query["cursor"].map { text in
            guard let value = Int64(text) else { throw AppError.badRequest("that page position is not one this list gave") }
            return value
        }
        let rows = try await store.entries(ofAccount: account.id, before: before, limit: 50)
        let entries = Array(rows.prefix(50))
        let next = rows.count > 50 ? entries.last.map { String($0.id) } : nil
        var fields: [AdminHTML.Field] = [
            .init("Account", field: "account_id", "<code>\(account.id)</code>"),
            .init("Kind", field: "kind", text: account.kind),
            .init("Balance (debits − credits)", field: "balance", text: AdminFormat.money(account.balance, currency: account.currency)),
            .init("Opened", field: "created_at", AdminFormat.time(account.createdAt)),
        ]
        if let driverID = Self.driver(of: account.id) {
            // Drivers' accounts are liabilities: what we owe is the credit balance (GET /v1/wallet).
            let apiField = account.id.hasSuffix(":promo") ? "promo_balance_amount" : "balance_amount"
            let fromEntries = try await store.entriesTotal(ofAccount: account.id)
            fields.insert(.init("Owed to the driver", field: apiField, text: AdminFormat.money(-account.balance, currency: account.currency)), at: 1)
            fields.append(.init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driverID.uuidString.lowercased())", driverID.uuidString.lowercased())))
            fields.append(.init("Sum of its entries", field: "entries_total",
                                fromEntries == account.balance
                                    ? "\(AdminFormat.money(fromEntries, currency: account.currency)) " + AdminHTML.badge("matches the balance", .good)
                                    : "\(AdminFormat.money(fromEntries, currency: account.currency)) " + AdminHTML.badge("does not match the balance", .bad)))
        } else {
            fields.append(.init("Balance shards", field: "shards", text: String(account.shards)))
        }
        let table = AdminHTML.table(["When", "Posting", "Kind", "Description", "Debit", "Credit"], entries.map { entry in
            [AdminFormat.time(entry.transaction.createdAt), AdminHTML.idLink(Self.transactionPath(entry.transaction.id), entry.transaction.id),
             AdminHTML.status(entry.transaction.kind), "\(entry.transaction.description)",
             entry.amount > 0 ? "\(AdminFormat.money(entry.amount, currency: account.currency))" : "",
             entry.amount < 0 ? "\(AdminFormat.money(-entry.amount, currency: account.currency))" : ""]
        }, empty: "No entries on this account yet.", numeric: [4, 5])
        let history = try await Audit.historySection(of: [("ledger_account", account.id)], on: app.database)
        return .page(AdminView(title: Self.accountName(account.id),
                               body: AdminHTML.section("Account", AdminHTML.fields(fields)) + AdminHTML.section("Entries, newest first", table + AdminHTML.pager(request, next: next)) + history,
                               crumbs: [("Ledger accounts", "/admin/ledger/accounts")]))
    }

    // MARK: - The check

    /// What one pass of the check found, and where the next pass starts (nil: done).
    struct CheckReport: Sendable {
        var drifted: [DriftRow] = []
        var unbalanced: [UnbalancedRow] = []
        var accountsChecked = 0
        var postingsChecked = 0
        var nextAccounts: String?
        var nextPostings: String?
        var passed: Bool { drifted.isEmpty && unbalanced.isEmpty }
        var complete: Bool { nextAccounts == nil && nextPostings == nil }
    }

    /// Where one half of a pass starts: from the beginning, after a position, or not at all
    /// (that half finished on an earlier pass).
    enum Start<Position: Sendable>: Sendable {
        case beginning, after(Position), done
    }

    /// Checks the next `batch` drivers' accounts (by id) and the next `batch` postings (newest
    /// first), on `database`.
    func check(on database: any PostgresQueryable, accounts: Start<String> = .beginning,
               postings: Start<PageRequest.Cursor> = .beginning, batch: Int = checkBatch) async throws -> CheckReport {
        let store = LedgerStore(database: database)
        var report = CheckReport()
        switch accounts {
        case .done: break
        case .beginning, .after:
            let after: String? = if case .after(let id) = accounts { id } else { nil }
            let totals = try await store.driverAccountTotals(after: after, limit: batch)
            report.accountsChecked = totals.count
            report.drifted = totals.filter { $0.maintained != $0.fromEntries }
                .map { DriftRow(accountID: $0.id, maintained: $0.maintained, fromEntries: $0.fromEntries) }
            report.nextAccounts = totals.count == batch ? totals.last?.id : nil
        }
        switch postings {
        case .done: break
        case .beginning, .after:
            let after: PageRequest.Cursor? = if case .after(let cursor) = postings { cursor } else { nil }
            let totals = try await store.postingTotals(after: after, limit: batch)
            report.postingsChecked = totals.count
            report.unbalanced = totals.filter { $0.total != 0 || $0.entries < 2 }
            report.nextPostings = totals.count == batch
                ? totals.last.map { "\(Self.micros($0.createdAt))_\($0.transactionID.uuidString.lowercased())" } : nil
        }
        return report
    }

    /// `accounts_after` and `postings_after` continue a pass; `done` marks a half that finished.
    func checkPage(_ request: AdminRequest) async throws -> AdminResponse {
        let accounts: Start<String> = switch request.query["accounts_after"] {
        case nil: .beginning
        case "done": .done
        case let id?: .after(id)
        }
        let postings: Start<PageRequest.Cursor>
        switch request.query["postings_after"] {
        case nil: postings = .beginning
        case "done": postings = .done
        case let text?:
            guard let cursor = try PageRequest(query: "cursor=\(AdminHTML.percentEncode(text))").after else {
                throw AppError.badRequest("that position is not one this check gave")
            }
            postings = .after(cursor)
        }
        let report = try await check(on: app.database, accounts: accounts, postings: postings)
        return .page(AdminView(title: "Ledger check", body: Self.render(report), crumbs: [("Journal", "/admin/ledger")]))
    }

    static func render(_ report: CheckReport) -> HTML {
        let verdict: HTML = report.passed
            ? "<p class=\"answer yes\" data-field=\"check_result\">passed</p>"
            : "<p class=\"answer no\" data-field=\"check_result\">failed</p>"
        let scope: HTML = """
            <p>Every driver account’s maintained balance (what the wallet reads) against the sum of its entries, \
            and every posting’s entries against zero (at least two of them). Checked here: \
            <strong data-field="accounts_checked">\(report.accountsChecked)</strong> driver accounts and \
            <strong data-field="postings_checked">\(report.postingsChecked)</strong> postings.</p>
            """
        let more: HTML
        if report.complete {
            more = "<p class=\"muted\">That was everything from where this pass started.</p>"
        } else {
            let pairs: [(name: String, value: String)] = [("accounts_after", report.nextAccounts ?? "done"), ("postings_after", report.nextPostings ?? "done")]
            more = "<p class=\"pager\"><a rel=\"next\" href=\"/admin/ledger/check?\(AdminHTML.queryString(pairs))\">Check the next \(checkBatch) →</a></p>"
        }
        let drift = AdminHTML.section("Driver accounts whose balance is not the sum of their entries", id: "drifted", AdminHTML.table(
            ["Account", "Maintained balance", "Sum of entries", "Difference"], report.drifted.map { row in
                [accountLink(row.accountID), "\(AdminFormat.money(row.maintained))", "\(AdminFormat.money(row.fromEntries))",
                 "\(AdminFormat.money(row.maintained - row.fromEntries))"]
            }, empty: "None: every balance equals the sum of its entries.", numeric: [1, 2, 3]))
        let unbalanced = AdminHTML.section("Postings that do not sum to zero", id: "unbalanced", AdminHTML.table(
            ["Posting", "Dated", "Entries", "Sum"], report.unbalanced.map { row in
                [AdminHTML.idLink(transactionPath(row.transactionID), row.transactionID), AdminFormat.time(row.createdAt), "\(row.entries)",
                 "\(AdminFormat.money(row.total))"]
            }, empty: "None: every posting sums to zero.", numeric: [2, 3]))
        return AdminHTML.section("Result", verdict + scope + more) + drift + unbalanced
    }

    // MARK: - Search

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        var hits: [AdminSearchHit] = []
        if let id = query.uuid, let posting = try await store.transaction(id: id) {
            hits.append(AdminSearchHit(type: "Ledger postings", title: posting.description,
                                       facts: "\(posting.kind) · \(AdminFormat.money(posting.amount, currency: posting.currency)) · \(AdminFormat.localText(posting.createdAt, seconds: false))",
                                       path: Self.transactionPath(posting.id)))
        }
        let text = query.lowercased
        if text.hasPrefix("driver:") || Self.houseAccounts.contains(where: { $0.id == text }), let account = try await store.account(id: text) {
            hits.append(AdminSearchHit(type: "Ledger accounts", title: Self.accountName(account.id),
                                       facts: "balance \(AdminFormat.money(account.balance, currency: account.currency))", path: Self.accountPath(account.id)))
        }
        return hits
    }

    // MARK: - Helpers

    static func transactionPath(_ id: UUID) -> String { "/admin/ledger/transactions/\(id.uuidString.lowercased())" }
    static func accountPath(_ id: String) -> String { "/admin/ledger/accounts/\(AdminHTML.percentEncode(id))" }

    static func accountLink(_ id: String) -> HTML {
        "<a href=\"\(accountPath(id))\" title=\"\(id)\">\(accountName(id))</a>"
    }

    /// `PSP clearing`, `Driver 1a2b3c4d cash`.
    static func accountName(_ id: String) -> String {
        switch id {
        case LedgerAccount.pspClearing.id: return "PSP clearing"
        case LedgerAccount.premiumIncome.id: return "Premium income"
        case LedgerAccount.iptPayable.id: return "IPT payable"
        case LedgerAccount.promoFunding.id: return "Promo funding"
        case LedgerAccount.walletAdjustments.id: return "Wallet adjustments"
        case LedgerAccount.badDebt.id: return "Bad debt"
        default:
            let parts = id.split(separator: ":")
            // Settlement accounts, per currency: `bank`, `bank:eur` → "Bank (EUR)".
            let settlement = ["bank": "Bank", "processor_fees": "Processor fees", "settlement_suspense": "Settlement suspense"]
            if let first = parts.first, let name = settlement[String(first)], parts.count <= 2 {
                return parts.count == 2 ? "\(name) (\(parts[1].uppercased()))" : name
            }
            guard parts.count == 3, parts[0] == "driver" else { return id }
            return "Driver \(parts[1].prefix(8)) \(parts[2] == "promo" ? "promo credit" : "cash")"
        }
    }

    static func driver(of accountID: String) -> UUID? {
        let parts = accountID.split(separator: ":")
        guard parts.count == 3, parts[0] == "driver" else { return nil }
        return UUID(uuidString: String(parts[1]))
    }

    static func uuid(_ text: String?, _ name: String) throws -> UUID? {
        guard let text else { return nil }
        guard let id = UUID(uuidString: text) else { throw AppError.badRequest("\(name) must be an id") }
        return id
    }

    static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// `<micros>_<account id>` of the drivers' accounts list.
    static func accountPosition(_ text: String?) throws -> (Date, String)? {
        guard let text else { return nil }
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]) else { throw AppError.badRequest("that page position is not one this list gave") }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), String(parts[1]))
    }
}
