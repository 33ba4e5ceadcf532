public import AdminUI
public import AppKernel
import Audit
import Documents
public import Foundation
import HTTPServer
import Identity
import Ledger

/// Billing in the admin: a driver's transactions exactly as `GET /v1/transactions` pages them
/// (with a CSV export for finance, on the audit trail), and their weekly statements exactly as
/// `GET /v1/statements/{week}` gives them (the stored one once the week is over on their clock).
public struct BillingAdmin: AdminSection {
    let app: AppContext
    var statements: Statements { Statements(app: app) }

    /// The most a CSV export holds (pages of 200 from the cursor on).
    static let exportLimit = 5_000

    public var navigation: [AdminNavItem] { [AdminNavItem("Transactions", "/admin/billing/transactions", group: "Money")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/billing/transactions", .read) { try await transactions($0) },
            .get("/admin/billing/statements/{id}", .read) { try await weeks($0) },
            .get("/admin/billing/statements/{id}/{week}", .read) { try await statement($0) },
        ]
    }

    // MARK: Transactions

    func transactions(_ request: AdminRequest) async throws -> AdminResponse {
        guard let text = request.query["driver"] else {
            let form: HTML = """
                <form class="filters" method="get" action="/admin/billing/transactions"><label>Driver id \
                <input type="text" name="driver" required placeholder="a driver's id"></label><button type="submit">Show</button></form>
                """
            return .page(AdminView(title: "Transactions", body: AdminHTML.notice("Transactions are listed per driver. Find the driver with the search box, or paste their id.") + form))
        }
        guard let driverID = UUID(uuidString: text) else { throw AppError.invalid("driver must be a driver id") }
        guard try await Identity(app: app).account(driverID) != nil else { throw AppError.notFound("no such driver") }
        let id = driverID.uuidString.lowercased()
        let cursor = request.query["cursor"].map { "cursor=\($0)" }
        if request.query["format"] == "csv" { return try await export(driverID, cursor: cursor, request) }

        let page = try PageRequest(query: cursor)
        let rows = try await Ledger().transactions(of: driverID, page: page, on: app.database)
        let (items, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let filters = AdminHTML.filters(request, [.init("driver", "Driver id", .text(placeholder: "a driver's id"))], exportable: true)
        let intro: HTML = "<p>Newest first, as the driver's app lists them. Amounts are + into the balance and − out of it; "
            + "card-paid cover and its refunds show the card amount with funding <code>card</code> and leave the balance alone. "
            + "\(AdminHTML.link("/admin/drivers/\(id)", "Back to the driver")) · \(AdminHTML.link("/admin/billing/statements/\(id)", "Weekly statements"))</p>"
        return .page(AdminView(title: "Transactions", body: intro + filters + Self.transactionsTable(items) + AdminHTML.pager(request, next: next),
                               crumbs: [("Drivers", "/admin/drivers"), ("Driver", "/admin/drivers/\(id)")]))
    }

    /// A CSV of the driver's transactions from the cursor on, for finance (the export permission),
    /// on the audit trail with how many rows it held.
    func export(_ driverID: UUID, cursor: String?, _ request: AdminRequest) async throws -> AdminResponse {
        guard request.staff.may(AdminPermission.export.rawValue) else {
            throw AppError(status: .forbidden, slug: "forbidden", detail: "Exports need the export permission.")
        }
        var items: [DriverTransaction] = []
        var query = cursor
        repeat {
            let page = try PageRequest(query: ["limit=200", query].compactMap { $0 }.joined(separator: "&"))
            let rows = try await Ledger().transactions(of: driverID, page: page, on: app.database)
            let (chunk, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
            items += chunk
            query = next.map { "cursor=\($0)" }
        } while query != nil && items.count < Self.exportLimit
        let truncated = query != nil
        try await Audit.record("billing.transactions_exported", AuditObject.driver(driverID),
                               after: .object(["rows": .integer(Int64(items.count)), "truncated": .bool(truncated),
                                               "from_cursor": cursor.map { .string($0) } ?? .null]),
                               on: app.database)
        let csv = AdminCSV.render(
            header: ["id", "type", "amount", "ipt_amount", "currency", "funding", "description", "related_id", "created_at"],
            rows: items.map { item in
                [item.id.uuidString.lowercased(), item.type.rawValue, String(item.amount), String(item.iptAmount), item.currency, item.funding,
                 item.description, item.relatedId?.uuidString.lowercased() ?? "", RFC3339.format(item.createdAt)]
            })
        return .csv(filename: "transactions-\(driverID.uuidString.lowercased().prefix(8)).csv", text: csv)
    }

    static func transactionsTable(_ items: [DriverTransaction]) -> HTML {
        AdminHTML.table(["When", "Type", "Description", "Amount", "IPT", "Funding", "About", "Id"], items.map { item in
            ["<span data-field=\"created_at\">\(AdminFormat.time(item.createdAt))</span>",
             "<span data-field=\"type\">\(item.type.rawValue.replacingOccurrences(of: "_", with: " "))</span>",
             "<span data-field=\"description\">\(item.description)</span>",
             "<span data-field=\"amount\">\(AdminFormat.money(item.amount, currency: item.currency))</span>",
             "<span data-field=\"ipt_amount\">\(AdminFormat.money(item.iptAmount, currency: item.currency))</span>",
             "<span data-field=\"funding\">\(item.funding)</span>",
             item.relatedId.map { "<code data-field=\"related_id\" title=\"\($0.uuidString.lowercased())\">\(AdminFormat.shortID($0))</code>" as HTML } ?? "—",
             "<code data-field=\"id\" title=\"\(item.id.uuidString.lowercased())\">\(AdminFormat.shortID(item.id))</code>"]
        }, empty: "No money has moved yet.", numeric: [3, 4])
    }

    // MARK: Statements

    /// `2026-W48` for an instant (ISO 8601 weeks, Monday to Monday UTC, as statements use).
    static func isoWeek(of instant: Date) -> String {
        let day = LocalDate(utcDateOf: instant)
        let weekday = ((day.dayNumber % 7) + 7 + 3) % 7  // 0 = Monday
        let thursday = day.adding(days: 3 - weekday)    // its Thursday decides the ISO year
        let january1 = LocalDate(year: thursday.year, month: 1, day: 1) ?? thursday
        return String(format: "%04d-W%02d", thursday.year, (thursday.dayNumber - january1.dayNumber) / 7 + 1)
    }

    /// The driver's recent weeks on their own clock, newest first.
    func weeks(_ request: AdminRequest) async throws -> AdminResponse {
        let driverID = try request.id()
        let identity = Identity(app: app)
        guard try await identity.account(driverID) != nil else { throw AppError.notFound("no such driver") }
        let id = driverID.uuidString.lowercased()
        let now = try await identity.now(for: driverID)
        let weeks = (0..<12).map { Self.isoWeek(of: now.addingTimeInterval(-Double($0) * 7 * 86_400)) }
        let rows = weeks.enumerated().map { index, week -> [HTML] in
            [AdminHTML.link("/admin/billing/statements/\(id)/\(week)", week),
             Statements.weekStart(week).map { AdminFormat.time($0, seconds: false) } ?? "",
             index == 0 ? AdminHTML.badge("running", .warn) : AdminHTML.badge("final", .good)]
        }
        let body = "<p>Weekly statements run Monday 00:00 to Monday 00:00 UTC on the driver's clock; a week becomes final (stored, never changing) once it is over.</p>"
            + AdminHTML.table(["Week", "Starts", ""], rows)
        return .page(AdminView(title: "Statements", body: body, crumbs: [("Drivers", "/admin/drivers"), ("Driver", "/admin/drivers/\(id)")]))
    }

    func statement(_ request: AdminRequest) async throws -> AdminResponse {
        let driverID = try request.id()
        let week = try request.parameter("week")
        let identity = Identity(app: app)
        guard try await identity.account(driverID) != nil else { throw AppError.notFound("no such driver") }
        guard let start = Statements.weekStart(week) else { throw AppError.notFound("no week \(week): use an ISO week such as 2026-W48") }
        let now = try await identity.now(for: driverID)
        guard start <= now else { throw AppError.notFound("week \(week) has not started yet on the driver's clock") }
        // What `GET /v1/statements/{week}` answers: the stored statement once there is one, else
        // built from the ledger now (this page stores nothing: a GET changes nothing).
        let body: [UInt8]
        var storedAt: Date?
        if let stored = try await Documents(app: app).statement(for: driverID, period: week) {
            body = stored.body
            storedAt = stored.createdAt
        } else {
            body = try JSON.encode(try await statements.build(driverID: driverID, week: week, start: start,
                                                             end: start.addingTimeInterval(7 * 86_400), now: now))
        }
        guard case .object(let json) = try JSON.decode(JSONValue.self, from: body) else {
            throw AppError.unavailable("the statement is not readable")
        }
        let id = driverID.uuidString.lowercased()
        return .page(AdminView(title: "Statement \(week)", body: Self.render(json, storedAt: storedAt, driverID: id),
                               crumbs: [("Drivers", "/admin/drivers"), ("Driver", "/admin/drivers/\(id)"), ("Statements", "/admin/billing/statements/\(id)")]))
    }

    static func render(_ json: [String: JSONValue], storedAt: Date?, driverID: String) -> HTML {
        func amount(_ object: [String: JSONValue], _ key: String) -> Int64 {
            switch object[key] {
            case .integer(let value)?: value
            case .number(let value)?: Int64(value)
            default: 0
            }
        }
        func text(_ object: [String: JSONValue], _ key: String) -> String {
            if case .string(let value)? = object[key] { return value }
            return ""
        }
        func time(_ object: [String: JSONValue], _ key: String) -> HTML { AdminFormat.time(RFC3339.parse(text(object, key))) }
        func members(_ key: String) -> [String: JSONValue] {
            if case .object(let value)? = json[key] { return value }
            return [:]
        }
        let final = json["final"] == .bool(true)
        let money = { (value: Int64) in AdminFormat.money(value) }
        let summary = AdminHTML.fields([
            .init("Week", field: "week", text: text(json, "week")),
            .init("From", field: "starts_at", time(json, "starts_at")),
            .init("To", field: "ends_at", time(json, "ends_at")),
            .init("State", field: "final", final ? AdminHTML.badge("final", .good) + (storedAt.map { " stored \(AdminFormat.time($0))" } ?? "")
                                                 : AdminHTML.badge("running: the week is not over on the driver's clock", .warn)),
            .init("Opening balance", field: "opening_balance_amount", text: money(amount(json, "opening_balance_amount"))),
            .init("Top-ups", field: "top_ups_amount", text: money(amount(json, "top_ups_amount"))),
            .init("Charges", field: "charges_amount", text: money(amount(json, "charges_amount"))),
            .init("Refunds", field: "refunds_amount", text: money(amount(json, "refunds_amount"))),
            .init("Adjustments", field: "adjustments_amount", text: money(amount(json, "adjustments_amount"))),
            .init("Closing balance", field: "closing_balance_amount", text: money(amount(json, "closing_balance_amount"))),
            .init("IPT in cover bought", field: "ipt_amount", text: money(amount(json, "ipt_amount"))),
        ])
        let reconciles = amount(json, "opening_balance_amount") + amount(json, "top_ups_amount") - amount(json, "charges_amount")
            + amount(json, "refunds_amount") + amount(json, "adjustments_amount") == amount(json, "closing_balance_amount")
        let check: HTML = "<p>\(reconciles ? AdminHTML.status("ok") : AdminHTML.status("unbalanced")) opening + top-ups − charges + refunds + adjustments = closing</p>"
        let promo = members("promo"), card = members("card")
        let promoFields = AdminHTML.fields([
            .init("Opening", field: "promo.opening_balance_amount", text: money(amount(promo, "opening_balance_amount"))),
            .init("Credited", field: "promo.credited_amount", text: money(amount(promo, "credited_amount"))),
            .init("Spent", field: "promo.spent_amount", text: money(amount(promo, "spent_amount"))),
            .init("Refunded", field: "promo.refunded_amount", text: money(amount(promo, "refunded_amount"))),
            .init("Adjustments", field: "promo.adjustments_amount", text: money(amount(promo, "adjustments_amount"))),
            .init("Closing", field: "promo.closing_balance_amount", text: money(amount(promo, "closing_balance_amount"))),
        ])
        let cardFields = AdminHTML.fields([
            .init("Cover paid by card", field: "card.purchases_amount", text: money(amount(card, "purchases_amount"))),
            .init("Refunded to card", field: "card.refunds_amount", text: money(amount(card, "refunds_amount"))),
        ])
        let lines: [[String: JSONValue]] = if case .array(let items)? = json["lines"] {
            items.compactMap { if case .object(let line) = $0 { line } else { nil } }
        } else { [] }
        let table = AdminHTML.table(["When", "Type", "Description", "Amount", "Cash", "Promo", "IPT", "Funding", "Id"], lines.map { line in
            ["<span data-field=\"created_at\">\(time(line, "created_at"))</span>",
             "<span data-field=\"type\">\(text(line, "type").replacingOccurrences(of: "_", with: " "))</span>",
             "<span data-field=\"description\">\(text(line, "description"))</span>",
             "<span data-field=\"amount\">\(money(amount(line, "amount")))</span>",
             "<span data-field=\"cash_amount\">\(money(amount(line, "cash_amount")))</span>",
             "<span data-field=\"promo_amount\">\(money(amount(line, "promo_amount")))</span>",
             "<span data-field=\"ipt_amount\">\(money(amount(line, "ipt_amount")))</span>",
             "<span data-field=\"funding\">\(text(line, "funding"))</span>",
             "<code data-field=\"id\" title=\"\(text(line, "id"))\">\(String(text(line, "id").prefix(8)))</code>"]
        }, empty: "Nothing moved this week.", numeric: [3, 4, 5, 6])
        return AdminHTML.section("Cash balance", summary + check) + AdminHTML.section("Promotional credit", promoFields)
            + AdminHTML.section("Card", cardFields + "<p class=\"muted\">Card-paid cover never touches the wallet: listed, in no wallet total.</p>")
            + AdminHTML.section("Lines", id: "lines", table)
            + "<p>\(AdminHTML.link("/admin/billing/transactions?driver=\(driverID)", "All transactions")) · the driver sees this as <code>GET /v1/statements/\(text(json, "week"))</code>.</p>"
    }
}
