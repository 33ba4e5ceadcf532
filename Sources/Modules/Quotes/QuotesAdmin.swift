public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity
import Rating
import Underwriting

/// Quotes in the admin: every issued quote (by status and product), one quote with every rating
/// factor and the rate-table version it was priced with, search by id, and driver 360's Quotes.
///
/// Declines are kept (`quotes.declines`, with every reason the driver was told): the list and
/// driver 360 show them.
public struct QuotesAdmin: AdminSection {
    let app: AppContext
    var store: QuotesStore { QuotesStore(database: app.database) }


    public var navigation: [AdminNavItem] { [AdminNavItem("Quotes", "/admin/quotes", group: "Cover")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/quotes", .read) { try await list($0) },
            .get("/admin/quotes/declines", .read) { try await declines($0) },
            .get("/admin/quotes/{id}", .read) { try await show($0) },
        ]
    }

    static func path(_ id: UUID) -> String { "/admin/quotes/\(id.uuidString.lowercased())" }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = QuotesStore.ListFilter()
        filter.statuses = request.query.all("status").filter { ["quoted", "bound", "expired"].contains($0) }
        filter.products = request.query.all("product").filter { value in Product.allCases.contains { $0.rawValue == value } }
        if let driver = request.query["driver"] {
            guard let id = UUID(uuidString: driver) else { throw AppError.invalid("driver must be a driver id") }
            filter.driverID = id
        }
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let rows = try await store.list(filter, now: request.now, page: page)
        let (quotes, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let filters = AdminHTML.filters(request, [
            .init("status", "Status", .choices(["quoted", "bound", "expired"])),
            .init("product", "Product", .choices(Product.allCases.map(\.rawValue))),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
        ])
        let note = AdminHTML.notice("Statuses here are as of now; a driver on a test clock sees theirs at the clock's time. Declined requests are listed under "
            + "Declines.") + "<p><a href=\"/admin/quotes/declines\(filter.driverID.map { "?driver=\($0.uuidString.lowercased())" } ?? "")\">Declines →</a></p>"
        return .page(AdminView(title: "Quotes", body: note + filters + Self.table(quotes, now: request.now, withDriver: true)
                               + AdminHTML.pager(request, next: next)))
    }

    static func table(_ quotes: [Quote], now: Date, withDriver: Bool) -> HTML {
        AdminHTML.table(["Quote", "Status", "Product", "Usage", "Total", "Rate per hour", "Rate table"] + (withDriver ? ["Driver"] : []) + ["Quoted"],
                        quotes.map { quote in
            var cells: [HTML] = [AdminHTML.idLink(path(quote.id), quote.id), AdminHTML.status(quote.status(at: now)),
                                 "\(productText(quote))", "\(quote.usage.rawValue.replacingOccurrences(of: "_", with: " "))",
                                 "\(AdminFormat.money(quote.totalAmount, currency: quote.currency))",
                                 "\(AdminFormat.money(quote.hourlyRateAmount, currency: quote.currency))",
                                 AdminHTML.link("/admin/rating/\(quote.ratingVersion)", "v\(quote.ratingVersion)")]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(quote.driverID.uuidString.lowercased())", quote.driverID)) }
            cells.append(AdminFormat.time(quote.createdAt))
            return cells
        }, empty: "No quotes match.", numeric: [4, 5])
    }

    static func productText(_ quote: Quote) -> String {
        switch quote.product {
        case .payg: "pay as you go"
        case .hourly: "hourly block of \(quote.hours ?? 0) h"
        }
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let quote = try await store.find(id: try request.id()) else { throw AppError.notFound("no such quote") }
        let id = quote.id.uuidString.lowercased()
        let driverID = quote.driverID.uuidString.lowercased()
        // The status the driver's app shows: their "now" (a test clock's, for a sandbox driver).
        let now = try await Identity(app: app).now(for: quote.driverID)
        let status = quote.status(at: now)
        let validity: HTML = switch status {
        case "quoted": " <span class=\"muted\">(\(AdminFormat.duration(Int(quote.validUntil.timeIntervalSince(now)))) left)</span>"
        case "bound": " <span class=\"muted\">(bound \(AdminFormat.time(quote.boundAt)))</span>"
        default: ""
        }
        let fields = AdminHTML.fields([
            .init("Status", field: "status", AdminHTML.status(status)),
            .init("Product", field: "product", text: quote.product.rawValue),
            .init("Usage", field: "usage", text: quote.usage.rawValue),
            .init("Hours", field: "hours", text: quote.hours.map(String.init) ?? "—"),
            .init("Starts", field: "starts_at", AdminFormat.time(quote.startsAt)),
            .init("Ends", field: "ends_at", AdminFormat.time(quote.endsAt)),
            .init("Total", field: "total_amount", text: AdminFormat.money(quote.totalAmount, currency: quote.currency)),
            .init("Net premium", field: "premium_amount", text: AdminFormat.money(quote.premiumAmount, currency: quote.currency)),
            .init("IPT", field: "ipt_amount", text: AdminFormat.money(quote.iptAmount, currency: quote.currency)),
            .init("Rate per hour", field: "hourly_rate_amount", text: AdminFormat.money(quote.hourlyRateAmount, currency: quote.currency)),
            .init("Currency", field: "currency", text: quote.currency),
            .init("Valid until", field: "valid_until", AdminFormat.time(quote.validUntil) + validity),
            .init("Rate table", field: "rating_version", AdminHTML.link("/admin/rating/\(quote.ratingVersion)", String(quote.ratingVersion))),
            .init("Underwriting rules", AdminHTML.link("/admin/underwriting/\(quote.underwritingVersion)", "rule set \(quote.underwritingVersion)")),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driverID)", driverID)),
            .init("Vehicle", field: "vehicle_id", AdminHTML.link("/admin/vehicles/\(quote.vehicleID.uuidString.lowercased())", quote.vehicleID.uuidString.lowercased())),
            .init("Policy", quote.boundAt == nil ? "<span class=\"muted\">not bound</span>"
                                                 : AdminHTML.link("/admin/policies?quote=\(id)", "the policy bound from this quote")),
            .init("Quoted", field: "created_at", AdminFormat.time(quote.createdAt)),
            .init("Quote id", field: "id", "<code>\(id)</code>"),
        ])
        let factors = AdminHTML.section("Rating factors", id: "factors", Self.factorsTable(quote)
            + "<p class=\"muted\">Multiplied exactly, then rounded half up to whole pence once: \(AdminFormat.money(quote.hourlyRateAmount)) per hour. "
            + "\(quote.product == .payg ? "A pay-as-you-go quote prices its first (minimum) hour." : "An hourly quote prices the whole block: \(quote.hours ?? 0) × the rate.") "
            + "Prices include IPT at 12% (3/28 of the total).</p>")
        let history = try await Audit.historySection(of: [("quote", id)], on: app.database)
        let onTestClock = try await Identity(app: app).account(quote.driverID)?.testClockID != nil
        let banner: HTML? = onTestClock ? "<div class=\"banner\">This driver is on a test clock: statuses are at their time, \(AdminFormat.time(now)).</div>" : nil
        return .page(AdminView(title: "Quote \(AdminFormat.shortID(quote.id)) · \(Self.productText(quote))",
                               body: AdminHTML.section("Quote", fields) + factors + history,
                               crumbs: [("Quotes", "/admin/quotes"), ("Driver", "/admin/drivers/\(driverID)")], banner: banner))
    }

    static func factorsTable(_ quote: Quote) -> HTML {
        AdminHTML.table(["Factor", "Band", "Value"], quote.factors.map { factor in
            let value = factor.name == "base_rate" ? "\(AdminFormat.money(factor.value)) per hour" : "\(RatingAdmin.multiplier(factor.value))"
            return ["\(factorName(factor.name)) <code>\(factor.name)</code>", "\(factor.band.replacingOccurrences(of: "_", with: " "))",
                    "<span data-factor=\"\(factor.name)\">\(value)</span>"]
        }, empty: "No factors recorded.", numeric: [2])
    }

    static func factorName(_ name: String) -> String {
        switch name {
        case "base_rate": "Base rate (vehicle type)"
        case "age": "Age"
        case "licence_years": "Licence held (years)"
        case "area_band": "Area band"
        case "usage": "Usage"
        case "claims": "Declared claims"
        default: name.replacingOccurrences(of: "_", with: " ")
        }
    }

    /// Declined quote requests with every reason, newest first.
    func declines(_ request: AdminRequest) async throws -> AdminResponse {
        let driverID = request.query["driver"].flatMap(UUID.init(uuidString:))
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let rows = try await store.declines(driverID: driverID, page: page)
        let (declines, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let filters = AdminHTML.filters(request, [.init("driver", "Driver id", .text(placeholder: "a driver's id"))])
        return .page(AdminView(title: "Declined quote requests", body: filters + Self.declinesTable(declines, withDriver: true) + AdminHTML.pager(request, next: next),
                               crumbs: [("Quotes", "/admin/quotes")]))
    }

    static func declinesTable(_ declines: [QuoteDecline], withDriver: Bool) -> HTML {
        AdminHTML.table(["When", "Product", "Reasons"] + (withDriver ? ["Driver"] : []), declines.map { decline in
            let reasons = decline.reasons.map { reason -> HTML in "<li><code>\(reason.code)</code> \(reason.message)</li>" }
            var cells: [HTML] = [AdminFormat.time(decline.createdAt), "\(decline.product) · \(decline.usage.replacingOccurrences(of: "_", with: " "))",
                                 "<ul>\(reasons)</ul>"]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(decline.driverID.uuidString.lowercased())", decline.driverID)) }
            return cells
        }, empty: "No declined requests.")
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        guard let id = query.uuid, let quote = try await store.find(id: id) else { return [] }
        return [AdminSearchHit(type: "Quotes", title: "Quote \(AdminFormat.shortID(quote.id))",
                               facts: "\(Self.productText(quote)), \(AdminFormat.money(quote.totalAmount)), quoted \(AdminFormat.localText(quote.createdAt, seconds: false))",
                               path: Self.path(quote.id))]
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let quotes = try await store.latest(driverID: driverID, limit: 10)
        let now = try await Identity(app: app).now(for: driverID)
        let table = AdminHTML.table(["Quote", "Status", "Product", "Total", "Quoted"], quotes.map { quote in
            [AdminHTML.idLink(Self.path(quote.id), quote.id), AdminHTML.status(quote.status(at: now)),
             "\(quote.product == .payg ? "PAYG" : "\(quote.hours ?? 0) h block")", "\(AdminFormat.money(quote.totalAmount, currency: quote.currency))",
             AdminFormat.time(quote.createdAt, seconds: false)]
        }, empty: "No quotes.", numeric: [3])
        let declined = try await store.declines(driverID: driverID, page: try PageRequest(query: "limit=5"))
        let body = table + (declined.isEmpty ? "" : "<h2>Declined</h2>" + Self.declinesTable(Array(declined.prefix(5)), withDriver: false))
        return AdminDriverContribution(panels: [AdminPanel(order: 40, AdminHTML.section(
            "Quotes", id: "quotes", more: ("All quotes", "/admin/quotes?driver=\(driverID.uuidString.lowercased())"), body))])
    }
}
