public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
public import Payments

/// Refunds in the admin: the list (by state and destination), one refund with what it refunds
/// and where the money went, search by refund id and the processor's `re_…` id. The payment
/// pages and driver 360's "Payments and refunds" read refunds through this section
/// (`PaymentRefundsSource`): refunds depend on payments, not the other way round.
public struct RefundsAdmin: AdminSection, PaymentRefundsSource {
    let app: AppContext
    /// The refunds API its actions go through (none: the pages only, no actions).
    let refunds: Refunds?
    var store: RefundsStore { RefundsStore(database: app.database) }

    public init(app: AppContext, refunds: Refunds? = nil) {
        self.app = app
        self.refunds = refunds
    }

    static let states = ["pending", "succeeded", "failed"]
    static let destinations = ["card", "wallet"]

    public var navigation: [AdminNavItem] { [AdminNavItem("Refunds", "/admin/refunds", group: "Money")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/refunds", .read) { try await list($0) },
            .get("/admin/refunds/{id}", .read) { try await show($0) },
        ]
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = RefundsStore.ListFilter()
        filter.states = request.query.all("state").filter(Self.states.contains)
        filter.destinations = request.query.all("destination").filter(Self.destinations.contains)
        if let text = request.query["driver"] {
            guard let id = UUID(uuidString: text) else { throw AppError.badRequest("driver must be an id") }
            filter.driverID = id
        }
        let csv = request.query["format"] == "csv"
        let page = try PageRequest(query: csv ? "limit=200" : request.query["cursor"].map { "cursor=\($0)" })
        let (refunds, next) = page.page(try await store.list(filter, page: page)) { PageRequest.Cursor(createdAt: $0.refund.createdAt, id: $0.refund.id) }
        if csv {
            guard request.staff.may(AdminPermission.export.rawValue) else {
                throw AppError(status: .forbidden, slug: "forbidden", detail: "Exports need the export permission.")
            }
            try await Audit.record("refunds.exported", AuditObject("refund_list", "export"),
                                   after: .object(["rows": .integer(Int64(refunds.count)),
                                                   "filters": .string(request.query.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))]),
                                   on: app.database)
            return .csv(filename: "refunds.csv", text: AdminCSV.render(
                header: ["id", "driver_id", "subject_id", "payment_id", "amount", "ipt_amount", "destination", "state", "psp_refund_id", "reason",
                         "created_at", "completed_at"],
                rows: refunds.map { detail in
                    let refund = detail.refund
                    return [refund.id.uuidString.lowercased(), refund.driverID.uuidString.lowercased(), refund.subjectID.uuidString.lowercased(),
                            refund.paymentID?.uuidString.lowercased() ?? "", String(refund.amount), String(refund.iptAmount), refund.destination,
                            refund.state, detail.pspRefundID ?? "", refund.reason, RFC3339.format(refund.createdAt),
                            detail.completedAt.map(RFC3339.format) ?? ""]
                }))
        }
        let filters = AdminHTML.filters(request, [
            .init("state", "State", .choices(Self.states)),
            .init("destination", "Back to", .choices(Self.destinations)),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
        ], exportable: true)
        let table = AdminHTML.table(["Refund", "Amount", "To", "State", "Payment", "Driver", "Owed since", "Completed"], refunds.map { detail in
            let refund = detail.refund
            return [AdminHTML.idLink(Self.path(refund.id), refund.id), "\(AdminFormat.money(refund.amount))", "\(refund.destination)",
                    AdminHTML.status(refund.state),
                    refund.paymentID.map { AdminHTML.idLink("/admin/payments/\($0.uuidString.lowercased())", $0) } ?? "<span class=\"muted\">—</span>",
                    AdminHTML.idLink("/admin/drivers/\(refund.driverID.uuidString.lowercased())", refund.driverID),
                    AdminFormat.time(refund.createdAt), AdminFormat.time(detail.completedAt)]
        }, empty: "No refunds match.", numeric: [1])
        return .page(AdminView(title: "Refunds", body: filters + table + AdminHTML.pager(request, next: next)))
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let detail = try await store.detail(id: try request.id()) else { throw AppError.notFound("no such refund") }
        let refund = detail.refund
        let id = refund.id.uuidString.lowercased()
        let driver = refund.driverID.uuidString.lowercased()
        let state: HTML = switch refund.state {
        case "pending" where detail.pspRefundID != nil:
            AdminHTML.status("pending") + " accepted by the processor, not yet confirmed: booked when the processor reports it succeeded"
        case "pending": AdminHTML.status("pending") + " owed to the card, not yet accepted by the processor (the sweep sends it again)"
        case "failed": AdminHTML.status("failed") + " the processor refused it or reported it failed (a booked refund was reversed): the money did not reach the card"
        default: AdminHTML.status(refund.state)
        }
        let fields = AdminHTML.fields([
            .init("Amount", field: "amount", text: AdminFormat.money(refund.amount)),
            .init("Of which IPT", field: "ipt_amount", text: AdminFormat.money(refund.iptAmount)),
            .init("Back to", field: "destination", text: refund.destination),
            .init("State", field: "state", state),
            .init("Reason", field: "reason", text: refund.reason),
            .init("Refunds", field: "subject_id", refund.subjectID == refund.paymentID ? "the top-up itself"
                  : "the policy " + AdminHTML.idLink("/admin/policies/\(refund.subjectID.uuidString.lowercased())", refund.subjectID)),
            .init("Card payment", field: "payment_id", refund.paymentID.map { AdminHTML.idLink("/admin/payments/\($0.uuidString.lowercased())", $0) }
                  ?? "<span class=\"muted\">none: back to the wallet</span>"),
            .init("Processor refund", field: "psp_refund_id", detail.pspRefundID.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">—</span>"),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driver)", driver)),
            .init("Owed since", field: "created_at", AdminFormat.time(refund.createdAt)),
            .init("Completed", field: "completed_at", AdminFormat.time(detail.completedAt)),
            .init("Ledger", AdminHTML.link("/admin/ledger?caused_by=" + AdminHTML.percentEncode("refund:\(id)"), "its posting")
                  + (refund.state == "failed"
                     ? " · " + AdminHTML.link("/admin/ledger?caused_by=" + AdminHTML.percentEncode("refund:\(id):reversed"), "its reversal, if it was booked")
                     : "")),
        ])
        let history = try await Audit.historySection(of: [("refund", id)], on: app.database)
        return .page(AdminView(title: "Refund of \(AdminFormat.money(refund.amount)) to the \(refund.destination)",
                               body: AdminHTML.section("Refund", fields) + history,
                               crumbs: [("Refunds", "/admin/refunds"), ("Driver", "/admin/drivers/\(driver)")]))
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        let processorID = query.text.hasPrefix("re_") ? query.text : nil
        guard processorID != nil || query.uuid != nil else { return [] }
        return try await store.matching(pspRefundID: processorID, id: query.uuid).map { detail in
            AdminSearchHit(type: "Refunds", title: "\(AdminFormat.money(detail.refund.amount)) to the \(detail.refund.destination)",
                           facts: "\(detail.refund.state) · \(AdminFormat.localText(detail.refund.createdAt, seconds: false))",
                           path: Self.path(detail.refund.id))
        }
    }

    static func path(_ id: UUID) -> String { "/admin/refunds/\(id.uuidString.lowercased())" }

    // MARK: - PaymentRefundsSource

    public func refunds(ofPayment paymentID: UUID) async throws -> [PaymentRefundLine] {
        try await store.refunds(paymentID: paymentID).map(Self.line)
    }

    public func refunds(ofDriver driverID: UUID, limit: Int) async throws -> [PaymentRefundLine] {
        try await store.refunds(driverID: driverID, limit: limit).map(Self.line)
    }

    static func line(_ detail: RefundDetail) -> PaymentRefundLine {
        PaymentRefundLine(id: detail.refund.id, paymentID: detail.refund.paymentID, amount: detail.refund.amount,
                          destination: detail.refund.destination, state: detail.refund.state, pspRefundID: detail.pspRefundID,
                          reason: detail.refund.reason, createdAt: detail.refund.createdAt, completedAt: detail.completedAt)
    }
}
