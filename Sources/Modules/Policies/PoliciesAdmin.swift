public import AdminUI
public import AppKernel
import Audit
import Documents
import Drivers
public import Foundation
import HTTPServer
import Identity
import Payments
import Refunds
import Vehicles
public import Wallet

/// Policies in the admin: every policy (by status as the API shows it, and product), one policy
/// with its money and documents, search by number or id, driver 360's Policies and the ops
/// home's count of PAYG policies paused below £0.
///
/// A PAYG policy is stored `active` and shown `paused` while its driver's cover is paused for
/// money (the wallet's `cover_paused`: from below £0 until a top-up brings the balance back to
/// £10); an hourly block's `scheduled`/`active`/`expired` follow the clock. The list reads
/// statuses at real time; a policy's own page reads them at the driver's time, as the API does.
public struct PoliciesAdmin: AdminSection {
    let app: AppContext
    let wallet: Wallet
    /// What ends with a policy (its running session): the cancellation's and deactivation's actions run it.
    let endings: PolicyEndings
    var store: PoliciesStore { PoliciesStore(database: app.database) }

    /// How many paused drivers the home count and the `paused` filter look at.
    static let pausedLimit = 10_000

    public var navigation: [AdminNavItem] { [AdminNavItem("Policies", "/admin/policies", group: "Cover")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/policies", .read) { try await list($0) },
            .get("/admin/policies/{id}", .read) { try await show($0) },
        ]
    }

    static func path(_ id: UUID) -> String { "/admin/policies/\(id.uuidString.lowercased())" }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = PoliciesStore.ListFilter()
        filter.statuses = request.query.all("status").filter { value in PolicyStatus.allCases.contains { $0.rawValue == value } }
        filter.products = request.query.all("product").filter { ["payg", "hourly"].contains($0) }
        func id(_ name: String) throws -> UUID? {
            guard let text = request.query[name] else { return nil }
            guard let id = UUID(uuidString: text) else { throw AppError.invalid("\(name) must be an id") }
            return id
        }
        filter.driverID = try id("driver")
        filter.quoteID = try id("quote")
        let needsPauses = filter.statuses.contains("active") || filter.statuses.contains("paused")
        let paused = needsPauses ? try await wallet.coverPausedDrivers(limit: Self.pausedLimit) : []
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let rows = try await store.list(filter, now: request.now, pausedDrivers: paused, page: page)
        let (policies, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let shownPaused = try await wallet.coverPaused(among: policies.filter(\.isPAYG).map(\.driverId))
        let filters = AdminHTML.filters(request, [
            .init("status", "Status", .choices(PolicyStatus.allCases.map(\.rawValue))),
            .init("product", "Product", .choices(["payg", "hourly"])),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
        ])
        var notes: HTML = AdminHTML.notice("Statuses as of now. A PAYG policy shows paused while its driver's balance is below £0 (until topped back to £10); "
                                           + "a driver on a test clock sees their blocks at the clock's time: open the policy.")
        if paused.count >= Self.pausedLimit {
            notes += AdminHTML.notice("More than \(Self.pausedLimit) drivers are paused: active and paused are told apart for the first \(Self.pausedLimit) only.", .warn)
        }
        return .page(AdminView(title: "Policies", body: notes + filters + Self.table(policies, now: request.now, paused: shownPaused, withDriver: true)
                               + AdminHTML.pager(request, next: next)))
    }

    static func table(_ policies: [Policy], now: Date, paused: Set<UUID>, withDriver: Bool) -> HTML {
        AdminHTML.table(["Number", "Status", "Product", "Cover window", "Rate per hour", "Total"] + (withDriver ? ["Driver"] : []) + ["Bound"],
                        policies.map { policy in
            var cells: [HTML] = [AdminHTML.link(path(policy.id), policy.number),
                                 AdminHTML.status(policy.status(at: now, coverPaused: paused.contains(policy.driverId)).rawValue),
                                 "\(productText(policy))", window(policy),
                                 "\(AdminFormat.money(policy.hourlyRateAmount, currency: policy.currency))",
                                 policy.isPAYG ? "<span class=\"muted\">per session</span>" : "\(AdminFormat.money(policy.totalAmount, currency: policy.currency))"]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(policy.driverId.uuidString.lowercased())", policy.driverId)) }
            cells.append(AdminFormat.time(policy.createdAt))
            return cells
        }, empty: "No policies match.", numeric: [4, 5])
    }

    static func productText(_ policy: Policy) -> String {
        policy.isPAYG ? "pay as you go" : "hourly block of \(hours(policy)) h"
    }

    /// A block's length in whole hours.
    static func hours(_ policy: Policy) -> Int {
        Int(((policy.endsAt ?? policy.startsAt).timeIntervalSince(policy.startsAt) / 3600).rounded())
    }

    /// From its start to its end (or cancellation); a PAYG policy is open-ended.
    static func window(_ policy: Policy) -> HTML {
        let end: HTML = policy.cancelledAt.map { "cancelled \(AdminFormat.time($0))" } ?? policy.endsAt.map { AdminFormat.time($0) } ?? "open-ended"
        return "\(AdminFormat.time(policy.startsAt)) → \(end)"
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let policy = try await store.show(id: try request.id()) else { throw AppError.notFound("no such policy") }
        let id = policy.id.uuidString.lowercased()
        let driverID = policy.driverId.uuidString.lowercased()
        // As `GET /v1/policies/{id}` shows it: at the driver's "now", paused per the wallet.
        let identity = Identity(app: app)
        let now = try await identity.now(for: policy.driverId)
        let coverPaused = try await wallet.isCoverPaused(policy.driverId)
        let status = policy.status(at: now, coverPaused: coverPaused)
        let driver = try await Drivers(app: app).profile(policy.driverId)
        let vehicle = try await Vehicles(app: app).vehicle(policy.vehicleId, ownedBy: policy.driverId)
        let payment = try await policy.paymentID.asyncMap { try await wallet.payments.payment($0) } ?? nil
        let refund = policy.refundAmount > 0 ? try await Refunds(app: app, wallet: wallet).refund(for: policy.id) : nil
        let documents = Documents(app: app)
        let certificates = [try await documents.certificate(for: policy.id, format: "text/html"),
                            try await documents.certificate(for: policy.id, format: "application/pdf")].compactMap { $0 }

        let money = policy.currency
        var facts: [AdminHTML.Field] = [
            .init("Number", field: "number", text: policy.number),
            .init("Status", field: "status", AdminHTML.status(status.rawValue)
                  + (status == .paused ? " <span class=\"muted\">the driver's balance is below £0: no new session opens until it is back to £10</span>" : "")),
            .init("Product", field: "product", text: policy.product),
            .init("Usage", field: "usage", text: policy.usage),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driverID)", driver?.fullName ?? driverID)),
            .init("Vehicle", field: "vehicle_id", AdminHTML.link("/admin/vehicles/\(policy.vehicleId.uuidString.lowercased())",
                                                                 vehicle.map { "\($0.registration) · \($0.make) \($0.model)" } ?? policy.vehicleId.uuidString.lowercased())),
            .init("Quote", field: "quote_id", AdminHTML.idLink("/admin/quotes/\(policy.quoteId.uuidString.lowercased())", policy.quoteId)),
            .init("Starts", field: "starts_at", AdminFormat.time(policy.startsAt)),
            .init("Ends", field: "ends_at", policy.endsAt == nil ? "<span class=\"muted\">open-ended (pay as you go)</span>" : AdminFormat.time(policy.endsAt)),
            .init("Cover window", policy.coverWindow.map { range -> HTML in
                "\(AdminFormat.time(range.lowerBound)) → \(range.upperBound == .distantFuture ? "until cancelled, during its sessions" as HTML : AdminFormat.time(range.upperBound))"
            } ?? "<span class=\"muted\">never covered anything</span>"),
            .init("Rate per hour", field: "hourly_rate_amount", text: AdminFormat.money(policy.hourlyRateAmount, currency: money)),
            .init(policy.isPAYG ? "First hour (minimum)" : "Total paid for", field: "total_amount", text: AdminFormat.money(policy.totalAmount, currency: money)),
            .init("Currency", field: "currency", text: money),
            .init("Funding", field: "funding", text: policy.funding ?? "—"),
            .init("Paid", field: "paid_at", AdminFormat.time(policy.paidAt)),
            .init("Cancelled", field: "cancelled_at", AdminFormat.time(policy.cancelledAt)),
            .init("Deactivated", AdminFormat.time(policy.deactivatedAt)),
            .init("Refunded", field: "refund_amount", text: AdminFormat.money(policy.refundAmount, currency: money)),
            .init("Bound", field: "created_at", AdminFormat.time(policy.createdAt)),
            .init("Policy id", field: "id", "<code>\(id)</code>"),
        ]
        if let payment {
            facts.append(.init("Payment", field: "payment.id",
                               AdminHTML.idLink("/admin/payments/\(payment.id.uuidString.lowercased())", payment.id)
                                   + " \(AdminHTML.status(payment.status.rawValue)) \(AdminFormat.money(payment.amount, currency: payment.currency))"
                                   + (payment.failureCode.map { " <code>\($0)</code>" as HTML } ?? "")))
        }
        if let refund {
            facts.append(.init("Refund", field: "refund.state",
                               AdminHTML.status(refund.state) + " \(AdminFormat.money(refund.amount)) to the \(refund.destination) · "
                                   + AdminHTML.idLink("/admin/refunds/\(refund.id.uuidString.lowercased())", refund.id)))
        }
        let documentRows = certificates.map { document -> [HTML] in
            ["<code title=\"\(document.id.uuidString.lowercased())\">\(document.id.uuidString.lowercased())</code>", "\(document.contentType)",
             AdminFormat.time(document.createdAt), "<code title=\"SHA-256\">\(String(document.sha256.prefix(16)))…</code>"]
        }
        let certificateNote: HTML = "<p class=\"muted\">The newest certificate, as the driver downloads it from <code>GET /v1/policies/\(id)/certificate</code> (driver API).</p>"
        let documentsSection = AdminHTML.section("Certificate", id: "certificate",
                                                 AdminHTML.table(["Document id", "Format", "Issued", "SHA-256"], documentRows,
                                                                 empty: policy.isPAYG || policy.paidAt != nil ? "No certificate stored." : "No certificate: the block was never paid for.")
                                                     + certificateNote)
        let history = try await Audit.historySection(of: [("policy", id)], on: app.database)
        let actions = try await actionForms(request, policy, now: now)
        let onTestClock = try await identity.account(policy.driverId)?.testClockID != nil
        let banner: HTML? = onTestClock ? "<div class=\"banner\">This driver is on a test clock: the status is at their time, \(AdminFormat.time(now)).</div>" : nil
        return .page(AdminView(title: "\(policy.number) · \(Self.productText(policy))",
                               body: AdminHTML.section("Policy", AdminHTML.fields(facts)) + actions + documentsSection + history,
                               crumbs: [("Policies", "/admin/policies"), ("Driver", "/admin/drivers/\(driverID)")], banner: banner))
    }

    /// `HG-7K3M-9Q2P` however it is typed: any case, with or without hyphens or spaces, and with
    /// Crockford's look-alikes (O for 0, I or L for 1).
    static func policyNumber(_ query: AdminSearchQuery) -> String? {
        let compact = query.compact
        guard compact.count == 10, compact.hasPrefix("HG") else { return nil }
        let body = compact.dropFirst(2).map { character -> Character in
            switch character {
            case "O": "0"
            case "I", "L": "1"
            default: character
            }
        }
        guard body.allSatisfy({ "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) }) else { return nil }
        return "HG-" + String(body[0..<4]) + "-" + String(body[4..<8])
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        let number = Self.policyNumber(query)
        guard number != nil || query.uuid != nil else { return [] }
        return try await store.matching(number: number, id: query.uuid).map { policy in
            AdminSearchHit(type: "Policies", title: policy.number,
                           facts: "\(Self.productText(policy)), \(policy.status.rawValue.replacingOccurrences(of: "_", with: " ")), bound \(AdminFormat.localText(policy.createdAt, seconds: false))",
                           path: Self.path(policy.id))
        }
    }

    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        guard staff.may(AdminPermission.read.rawValue) else { return [] }
        let paused = try await wallet.coverPausedDrivers(limit: Self.pausedLimit)
        let count = paused.isEmpty ? 0 : try await store.paygActiveCount(among: paused)
        return [AdminHomeItem("Policies paused below £0", count, path: "/admin/policies?status=paused", kind: .now)]
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let policies = try await store.latest(driverID: driverID, limit: 10)
        let now = try await Identity(app: app).now(for: driverID)
        let paused: Set<UUID> = try await wallet.isCoverPaused(driverID) ? [driverID] : []
        // A column of the grid: the facts asked about first, the rest on the policy's page.
        let table = AdminHTML.table(["Number", "Status", "Product", "Rate", "Bound"], policies.map { policy in
            [AdminHTML.link(Self.path(policy.id), policy.number), AdminHTML.status(policy.status(at: now, coverPaused: paused.contains(policy.driverId)).rawValue),
             "\(policy.isPAYG ? "PAYG" : "\(Self.hours(policy)) h block")", "\(AdminFormat.money(policy.hourlyRateAmount, currency: policy.currency))/h",
             AdminFormat.time(policy.createdAt, seconds: false)]
        }, empty: "No policies.", numeric: [3])
        return AdminDriverContribution(panels: [AdminPanel(order: 20, AdminHTML.section(
            "Policies", id: "policies", more: ("All policies", "/admin/policies?driver=\(driverID.uuidString.lowercased())"), table))])
    }
}
