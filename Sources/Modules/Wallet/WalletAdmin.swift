public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity
import Ledger
import Payments

/// The wallet in the admin: a driver's balances (the numbers `GET /v1/wallet` gives them), auto
/// top-up, whether cover is paused for money, and the ledger check; and driver 360's Money
/// section with the latest transactions exactly as `GET /v1/transactions` lists them.
///
/// Money lives here rather than in billing: the balances are the wallet's, the transactions
/// are the ledger's (billing's `GET /v1/transactions` only pages through `Ledger.transactions`),
/// and the wallet already depends on the ledger, so no dependency runs the wrong way.
public struct WalletAdmin: AdminSection {
    let wallet: Wallet
    let identity: Identity
    var app: AppContext { wallet.app }

    public var pages: [AdminPage] {
        [.get("/admin/wallets/{id}", .read) { try await show($0) }]
    }

    static func path(_ driverID: UUID) -> String { "/admin/wallets/\(driverID.uuidString.lowercased())" }

    /// Everything the wallet page and the Money section show.
    struct Snapshot {
        let cash: Int64
        let promo: Int64
        let settings: AutoTopUp
        let paused: Bool
        let pausedChangedAt: Date?
        /// The ledger check: the maintained balances against the sums of the entries.
        let summedCash: Int64
        let summedPromo: Int64
        var balanced: Bool { cash == summedCash && promo == summedPromo }
    }

    func snapshot(_ driverID: UUID) async throws -> Snapshot {
        let (cash, promo) = try await wallet.balances(of: driverID)
        let settings = try await wallet.settings(of: driverID)
        let pause = try await WalletStore(database: app.database).coverPause(driverID: driverID)
        // Every entry ever posted: nothing is dated after the end of time, whatever a test clock says.
        let summed = try await Ledger().driverBalances(driverID, before: .distantFuture, on: app.database)
        return Snapshot(cash: cash, promo: promo, settings: settings, paused: pause.paused, pausedChangedAt: pause.changedAt,
                        summedCash: summed.cash, summedPromo: summed.promo)
    }

    static func balanceFields(_ snapshot: Snapshot) -> [AdminHTML.Field] {
        [
            .init("Balance", field: "balance_amount", text: AdminFormat.money(snapshot.cash)),
            .init("Promotional credit", field: "promo_balance_amount", text: AdminFormat.money(snapshot.promo)),
            .init("Currency", field: "currency", text: "GBP"),
        ]
    }

    static func pauseText(_ snapshot: Snapshot) -> HTML {
        let since: HTML = snapshot.pausedChangedAt.map { " since \(AdminFormat.time($0))" } ?? ""
        return snapshot.paused
            ? AdminHTML.badge("paused", .warn) + " <span>below £0\(since): no new cover starts until a top-up brings the balance to £10</span>"
            : AdminHTML.badge("not paused", .good) + (snapshot.pausedChangedAt == nil ? "" : " <span class=\"muted\">resumed\(since)</span>")
    }

    static func autoTopUpText(_ settings: AutoTopUp) -> HTML {
        settings.enabled
            ? "on: \(AdminFormat.money(settings.amount)) when the balance falls under \(AdminFormat.money(settings.thresholdAmount))"
            : AdminHTML.badge("off", .warn)
    }

    static func ledgerCheck(_ snapshot: Snapshot) -> HTML {
        let verdict = snapshot.balanced ? AdminHTML.status("ok") : AdminHTML.status("unbalanced")
        return "<span data-check=\"ledger\">\(verdict)</span> balance = sum of postings: cash \(AdminFormat.money(snapshot.cash)) against "
            + "\(AdminFormat.money(snapshot.summedCash)) summed, promotional \(AdminFormat.money(snapshot.promo)) against \(AdminFormat.money(snapshot.summedPromo)) summed"
    }

    /// Transactions as `GET /v1/transactions` gives them, each shown value with its field name.
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

    func latestTransactions(_ driverID: UUID, limit: Int) async throws -> (items: [DriverTransaction], more: Bool) {
        let page = try PageRequest(query: "limit=\(limit)")
        let rows = try await Ledger().transactions(of: driverID, page: page, on: app.database)
        let (items, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        return (items, next != nil)
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        let driverID = try request.id()
        guard let account = try await identity.account(driverID) else { throw AppError.notFound("no such driver") }
        let id = driverID.uuidString.lowercased()
        let snapshot = try await snapshot(driverID)
        let card = try await wallet.payments.defaultCard(of: driverID)
        let fields = AdminHTML.fields(Self.balanceFields(snapshot) + [
            .init("Cover", Self.pauseText(snapshot)),
            .init("Auto top-up", field: "auto_top_up.enabled", text: snapshot.settings.enabled ? "on" : "off"),
            .init("Top up when under", field: "auto_top_up.threshold_amount", text: AdminFormat.money(snapshot.settings.thresholdAmount)),
            .init("Top-up amount", field: "auto_top_up.amount", text: AdminFormat.money(snapshot.settings.amount)),
            .init("Default card", card.map { "\($0.brand) •\($0.last4)" as HTML } ?? "<span class=\"muted\">none: auto top-up cannot run</span>"),
            .init("Ledger check", Self.ledgerCheck(snapshot)),
            .init("Driver", AdminHTML.link("/admin/drivers/\(id)", id)),
        ])
        let (items, more) = try await latestTransactions(driverID, limit: 20)
        let purchases = items.filter { ($0.type == .sessionCharge || $0.type == .blockPurchase) && $0.funding != "card" }
        let links: HTML = "<p>\(AdminHTML.link("/admin/billing/transactions?driver=\(id)", more ? "All transactions" : "Transactions page"))"
            + " · \(AdminHTML.link("/admin/billing/statements/\(id)", "Weekly statements"))</p>"
        let transactions = AdminHTML.section("Latest transactions", id: "transactions", Self.transactionsTable(items) + links)
        let history = try await Audit.historySection(of: [("wallet", id)], on: app.database)
        return .page(AdminView(title: "Wallet · \(account.email)", body: AdminHTML.section("Wallet", fields) + actionForms(request, driverID: driverID, cash: snapshot.cash, purchases: purchases) + transactions + history,
                               crumbs: [("Drivers", "/admin/drivers"), ("Driver", "/admin/drivers/\(id)")]))
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        guard try await identity.account(driverID) != nil else { return AdminDriverContribution() }
        let id = driverID.uuidString.lowercased()
        let snapshot = try await snapshot(driverID)
        let (items, _) = try await latestTransactions(driverID, limit: 10)
        let fields = AdminHTML.fields(Self.balanceFields(snapshot) + [
            .init("Cover", Self.pauseText(snapshot)),
            .init("Auto top-up", Self.autoTopUpText(snapshot.settings)),
            .init("Ledger check", Self.ledgerCheck(snapshot)),
        ])
        let links: HTML = "<p>\(AdminHTML.link(Self.path(driverID), "Wallet")) · \(AdminHTML.link("/admin/billing/transactions?driver=\(id)", "All transactions"))"
            + " · \(AdminHTML.link("/admin/billing/statements/\(id)", "Weekly statements"))</p>"
        let body = AdminHTML.section("Money", id: "money", more: ("Wallet", Self.path(driverID)),
                                     fields + "<h3>Latest transactions</h3>" + Self.transactionsTable(items) + links)
        var badges: [HTML] = []
        if snapshot.paused { badges.append(AdminHTML.badge("paused · \(AdminFormat.money(snapshot.cash))", .warn)) }
        if !snapshot.settings.enabled { badges.append(AdminHTML.badge("auto top-up off", .plain)) }
        if !snapshot.balanced { badges.append(AdminHTML.badge("ledger unbalanced", .bad)) }
        return AdminDriverContribution(badges: badges, panels: [AdminPanel(order: 50, wide: true, body)])
    }
}
