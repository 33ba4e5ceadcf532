public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity

/// A refund of a card payment (or one owed to a driver), as the refunds module tells the
/// payment pages.
public struct PaymentRefundLine: Sendable {
    public let id: UUID
    public let paymentID: UUID?
    public let amount: Int64
    /// `card` or `wallet`.
    public let destination: String
    /// `pending`, `succeeded` or `failed`.
    public let state: String
    public let pspRefundID: String?
    public let reason: String
    public let createdAt: Date
    public let completedAt: Date?

    public init(id: UUID, paymentID: UUID?, amount: Int64, destination: String, state: String, pspRefundID: String?, reason: String,
                createdAt: Date, completedAt: Date?) {
        self.id = id
        self.paymentID = paymentID
        self.amount = amount
        self.destination = destination
        self.state = state
        self.pspRefundID = pspRefundID
        self.reason = reason
        self.createdAt = createdAt
        self.completedAt = completedAt
    }
}

/// Where the payment pages read refunds from: the refunds module, which depends on payments
/// (so payments cannot import it) and hands itself in when the modules are installed.
public protocol PaymentRefundsSource: Sendable {
    func refunds(ofPayment paymentID: UUID) async throws -> [PaymentRefundLine]
    func refunds(ofDriver driverID: UUID, limit: Int) async throws -> [PaymentRefundLine]
    /// The refunds module's action forms for a payment's page (the staff refund to the card).
    func actionForms(_ request: AdminRequest, payment: Payment) -> HTML
}

extension PaymentRefundsSource {
    public func actionForms(_ request: AdminRequest, payment: Payment) -> HTML { "" }
}

/// Payments in the admin: the list (by status and purpose), one payment with its card, its
/// processor intent, where SCA stands, what it paid for and its refunds; the processor's
/// webhook events as received; payouts; search by payment id, `pi_…` and event id; and driver
/// 360's "Payments and refunds" with the driver's cards.
public struct PaymentsAdmin: AdminSection {
    let app: AppContext
    let identity: Identity
    let refunds: (any PaymentRefundsSource)?
    var store: PaymentsStore { PaymentsStore(database: app.database) }

    static let statuses = ["processing", "requires_action", "succeeded", "failed"]
    static let purposes = ["top_up", "auto_top_up", "block_purchase"]
    static let eventFamilies = ["payment_intent", "refund", "charge", "payout"]

    public var navigation: [AdminNavItem] {
        [AdminNavItem("Payments", "/admin/payments", group: "Money"),
         AdminNavItem("PSP webhooks", "/admin/payments/webhooks", group: "Money"),
         AdminNavItem("Payouts", "/admin/payments/payouts", group: "Money")]
    }

    public var pages: [AdminPage] {
        [
            .get("/admin/payments", .read) { try await list($0) },
            .get("/admin/payments/webhooks", .read) { try await webhooks($0) },
            .get("/admin/payments/webhooks/{event}", .read) { try await webhook($0) },
            .get("/admin/payments/payouts", .read) { try await payouts($0) },
            .get("/admin/payments/{id}", .read) { try await show($0) },
        ]
    }

    // MARK: - Payments

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = PaymentsStore.ListFilter()
        filter.statuses = request.query.all("status").filter(Self.statuses.contains)
        filter.purposes = request.query.all("purpose").filter(Self.purposes.contains)
        if let text = request.query["driver"] {
            guard let id = UUID(uuidString: text) else { throw AppError.badRequest("driver must be an id") }
            filter.driverID = id
        }
        let csv = request.query["format"] == "csv"
        let page = try PageRequest(query: csv ? "limit=200" : request.query["cursor"].map { "cursor=\($0)" })
        let (payments, next) = page.page(try await store.list(filter, page: page)) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        if csv {
            guard request.staff.may(AdminPermission.export.rawValue) else {
                throw AppError(status: .forbidden, slug: "forbidden", detail: "Exports need the export permission.")
            }
            try await Audit.record("payments.exported", AuditObject("payment_list", "export"),
                                   after: .object(["rows": .integer(Int64(payments.count)),
                                                   "filters": .string(request.query.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))]),
                                   on: app.database)
            return .csv(filename: "payments.csv", text: AdminCSV.render(
                header: ["id", "driver_id", "purpose", "amount", "currency", "status", "failure_code", "psp_intent_id", "created_at"],
                rows: payments.map { payment in
                    [payment.id.uuidString.lowercased(), payment.driverID.uuidString.lowercased(), payment.purpose.rawValue, String(payment.amount),
                     payment.currency, payment.status.rawValue, payment.failureCode ?? "", payment.pspIntentID ?? "", RFC3339.format(payment.createdAt)]
                }))
        }
        let cards = Dictionary(uniqueKeysWithValues: try await store.cards(ids: Array(Set(payments.map(\.paymentMethodID)))).map { ($0.id, $0) })
        let accounts = try await identity.accounts(Array(Set(payments.map(\.driverID))))
        let filters = AdminHTML.filters(request, [
            .init("status", "Status", .choices(Self.statuses)),
            .init("purpose", "Purpose", .choices(Self.purposes)),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
        ], exportable: true)
        let table = AdminHTML.table(["Payment", "Amount", "Status", "Purpose", "Card", "Driver", "Created"], payments.map { payment in
            [AdminHTML.idLink(Self.path(payment.id), payment.id), "\(AdminFormat.money(payment.amount, currency: payment.currency))",
             AdminHTML.status(payment.status.rawValue) + (payment.failureCode.map { " <code>\($0)</code>" as HTML } ?? ""),
             "\(Self.purposeText(payment.purpose))", "\(cards[payment.paymentMethodID].map(Self.cardText) ?? "—")",
             AdminHTML.link("/admin/drivers/\(payment.driverID.uuidString.lowercased())", accounts[payment.driverID]?.email ?? AdminFormat.shortID(payment.driverID)),
             AdminFormat.time(payment.createdAt)]
        }, empty: "No payments match.", numeric: [1])
        return .page(AdminView(title: "Payments", body: filters + table + AdminHTML.pager(request, next: next)))
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let payment = try await store.payment(id: try request.id()) else { throw AppError.notFound("no such payment") }
        let id = payment.id.uuidString.lowercased()
        let driver = payment.driverID.uuidString.lowercased()
        let card = try await store.cards(ids: [payment.paymentMethodID]).first
        let account = try await identity.account(payment.driverID)
        let fields = AdminHTML.fields([
            .init("Amount", field: "amount", text: AdminFormat.money(payment.amount, currency: payment.currency)),
            .init("Status", field: "status", AdminHTML.status(payment.status.rawValue)),
            .init("Failure code", field: "failure_code", payment.failureCode.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">—</span>"),
            .init("Purpose", field: "purpose", text: payment.purpose.rawValue),
            .init("For", Self.paidFor(payment)),
            .init("Card", field: "payment_method_id", card.map { card -> HTML in "\(Self.cardText(card)) \(card.isDefault ? AdminHTML.badge("default") : "")" }
                  ?? "<span class=\"muted\">removed</span>"),
            .init("Processor intent", field: "psp_intent_id", payment.pspIntentID.map { "<code>\($0)</code>" as HTML }
                  ?? "<span class=\"muted\">none yet: the charge has not reached the processor</span>"),
            .init("Processor charge", field: "psp_charge_id", payment.pspChargeID.map { "<code>\($0)</code>" as HTML }
                  ?? "<span class=\"muted\">none: not succeeded, or the processor did not say</span>"),
            .init("Strong customer authentication", field: "next_action", Self.sca(payment)),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driver)", account?.email ?? driver)),
            .init("Created", field: "created_at", AdminFormat.time(payment.createdAt)),
            .init("Last change", field: "updated_at", AdminFormat.time(payment.updatedAt)),
            .init("Payment id", field: "id", "<code>\(id)</code>"),
        ])
        let refundsSection: HTML
        if let refunds {
            refundsSection = refunds.actionForms(request, payment: payment)
                + AdminHTML.section("Refunds of this payment", id: "refunds", Self.refundsTable(try await refunds.refunds(ofPayment: payment.id)))
        } else {
            refundsSection = ""
        }
        let history = try await Audit.historySection(of: [("payment", id)], on: app.database)
        return .page(AdminView(title: "Payment of \(AdminFormat.money(payment.amount, currency: payment.currency)) · \(payment.status.rawValue.replacingOccurrences(of: "_", with: " "))",
                               body: AdminHTML.section("Payment", fields) + refundsSection + history,
                               crumbs: [("Payments", "/admin/payments"), ("Driver", "/admin/drivers/\(driver)")]))
    }

    /// What the payment paid for, linked: the policy of a block, the ledger posting of a top-up.
    static func paidFor(_ payment: Payment) -> HTML {
        let posting = "/admin/ledger?caused_by=" + AdminHTML.percentEncode("payment:\(payment.id.uuidString.lowercased()):captured")
        let booked: HTML = payment.status == .succeeded ? " · " + AdminHTML.link(posting, "its ledger posting") : ""
        switch payment.purpose {
        case .blockPurchase:
            guard let policy = payment.relatedID else { return "An hourly block" + booked }
            return "The hourly block of policy " + AdminHTML.idLink("/admin/policies/\(policy.uuidString.lowercased())", policy) + booked
        case .topUp: return "A wallet top-up asked for by the driver" + booked
        case .autoTopUp: return "An automatic wallet top-up" + booked
        }
    }

    /// Where SCA (3-D Secure) stands: waiting for the driver, or nothing pending.
    static func sca(_ payment: Payment) -> HTML {
        if payment.status == .requiresAction {
            let url: HTML = payment.redirectURL.map { " at <code>\($0)</code>" } ?? ""
            return AdminHTML.badge("waiting for the driver to authenticate", .warn) + url
        }
        if payment.failureCode == "authentication_required" { return AdminHTML.badge("authentication failed or was not completed", .bad) }
        return "<span class=\"muted\">nothing pending</span>"
    }

    static func refundsTable(_ refunds: [PaymentRefundLine]) -> HTML {
        AdminHTML.table(["Refund", "Amount", "To", "State", "Processor refund", "Reason", "Owed since", "Completed"], refunds.map { refund in
            [AdminHTML.idLink("/admin/refunds/\(refund.id.uuidString.lowercased())", refund.id),
             "\(AdminFormat.money(refund.amount))", "\(refund.destination)", AdminHTML.status(refund.state),
             refund.pspRefundID.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">—</span>", "\(refund.reason)",
             AdminFormat.time(refund.createdAt), AdminFormat.time(refund.completedAt)]
        }, empty: "No refunds.", numeric: [1])
    }

    static func path(_ id: UUID) -> String { "/admin/payments/\(id.uuidString.lowercased())" }
    static func cardText(_ card: PaymentMethod) -> String { "\(card.brand.capitalized) •\(card.last4)" }
    static func purposeText(_ purpose: PaymentPurpose) -> String {
        switch purpose {
        case .topUp: "top-up"
        case .autoTopUp: "automatic top-up"
        case .blockPurchase: "hourly block"
        }
    }

    // MARK: - Webhook events

    func webhooks(_ request: AdminRequest) async throws -> AdminResponse {
        let families = request.query.all("type").filter(Self.eventFamilies.contains)
        let rows = try await store.webhookEvents(families: families, after: try Self.position(request.query["cursor"]), limit: 50)
        let events = Array(rows.prefix(50))
        let next = rows.count > 50 ? events.last.map { Self.cursor($0.receivedAt, $0.id) } : nil
        let filters = AdminHTML.filters(request, [.init("type", "Type", .choices(Self.eventFamilies))])
        let table = AdminHTML.table(["Event", "Type", "Received", "Outcome"], events.map { event in
            [AdminHTML.link(Self.eventPath(event.id), event.id), "<code>\(event.type)</code>", AdminFormat.time(event.receivedAt),
             Self.outcome(of: event.type).badge]
        }, empty: "No processor events received yet.")
        return .page(AdminView(title: "Card processor webhooks", body: Self.inboxNote + filters + table + AdminHTML.pager(request, next: next)))
    }

    static let inboxNote: HTML = """
        <p class="muted">Every signed event the card processor sent, newest first. An event is recorded in the same \
        transaction that applies it, so a recorded event was applied; one that failed to apply was answered 503 and \
        not recorded (the processor sends it again). A repeated event is acknowledged without a second row. The inbox \
        keeps each event's id, type and arrival time, not its body.</p>
        """

    func webhook(_ request: AdminRequest) async throws -> AdminResponse {
        guard let event = try await store.webhookEvent(id: try request.parameter("event")) else { throw AppError.notFound("no such event") }
        let outcome = Self.outcome(of: event.type)
        let fields = AdminHTML.fields([
            .init("Event id", field: "id", "<code>\(event.id)</code>"),
            .init("Type", field: "type", "<code>\(event.type)</code>"),
            .init("Received", field: "received_at", AdminFormat.time(event.receivedAt)),
            .init("Outcome", field: "outcome", outcome.badge + " " + HTML(stringLiteral: HTML.escape(outcome.explanation))),
            .init("Payload", field: "payload", "<span class=\"muted\">not kept: the inbox stores the id, type and arrival time only</span>"),
        ])
        let history = try await Audit.historySection(of: [("psp_event", event.id)], on: app.database)
        return .page(AdminView(title: "Processor event \(event.id)", body: AdminHTML.section("Event", fields) + history,
                               crumbs: [("Card processor webhooks", "/admin/payments/webhooks")]))
    }

    /// What the webhook did with an event of `type` (it records an event only with its effect).
    static func outcome(of type: String) -> (badge: HTML, explanation: String) {
        if type.hasPrefix("payment_intent.") {
            return (AdminHTML.badge("applied", .good),
                    "The payment it names (by intent id, or by our payment_id metadata) took the processor's state; an intent that is not one of ours was acknowledged and left alone.")
        }
        if type.hasPrefix("refund.") || type == "charge.refunded" {
            return (AdminHTML.badge("applied", .good),
                    "The refund it names (by our refund_id metadata) was booked if it succeeded, or marked failed; one we do not know was left alone.")
        }
        if type.hasPrefix("payout.") {
            return (AdminHTML.badge("applied", .good), "The payout it describes was recorded or updated (see Payouts).")
        }
        return (AdminHTML.badge("recorded, no action", .plain), "We do not act on this type of event: it is recorded so that a repeat stays a no-op.")
    }

    static func eventPath(_ id: String) -> String { "/admin/payments/webhooks/\(AdminHTML.percentEncode(id))" }

    // MARK: - Payouts

    func payouts(_ request: AdminRequest) async throws -> AdminResponse {
        let rows = try await store.payouts(after: try Self.position(request.query["cursor"]), limit: 50)
        let payouts = Array(rows.prefix(50))
        let next = rows.count > 50 ? payouts.last.map { Self.cursor($0.createdAt, $0.id) } : nil
        let table = AdminHTML.table(["Payout", "Amount", "Status", "Arrives", "Last event", "First heard of", "Last change"], payouts.map { payout in
            ["<code>\(payout.id)</code>", "\(AdminFormat.money(payout.amount, currency: payout.currency))", AdminHTML.status(payout.status),
             AdminFormat.time(payout.arrivalAt), "<code>\(payout.lastEvent)</code>", AdminFormat.time(payout.createdAt), AdminFormat.time(payout.updatedAt)]
        }, empty: "No payouts reported by the processor yet.", numeric: [1])
        let note: HTML = "<p class=\"muted\">Transfers of settled card money to our bank, as the processor's payout events report them.</p>"
        return .page(AdminView(title: "Payouts", body: note + table + AdminHTML.pager(request, next: next)))
    }

    // MARK: - Search, driver 360

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        var hits: [AdminSearchHit] = []
        let intent = query.text.hasPrefix("pi_") ? query.text : nil
        // The charge id is what the processor's dashboard and settlement report show.
        let charge = query.text.hasPrefix("ch_") ? query.text : nil
        if intent != nil || charge != nil || query.uuid != nil {
            hits += try await store.matching(intentID: intent, chargeID: charge, id: query.uuid).map { payment in
                AdminSearchHit(type: "Payments", title: "\(AdminFormat.money(payment.amount, currency: payment.currency)) \(Self.purposeText(payment.purpose))",
                               facts: "\(payment.status.rawValue) · \(AdminFormat.localText(payment.createdAt, seconds: false))", path: Self.path(payment.id))
            }
        }
        if query.text.hasPrefix("evt_"), let event = try await store.webhookEvent(id: query.text) {
            hits.append(AdminSearchHit(type: "Card processor events", title: event.id,
                                       facts: "\(event.type) · \(AdminFormat.localText(event.receivedAt, seconds: false))", path: Self.eventPath(event.id)))
        }
        return hits
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let cards = try await store.cards(driverID: driverID, limit: 10)
        let payments = try await store.payments(driverID: driverID, limit: 10)
        let refundLines = try await refunds?.refunds(ofDriver: driverID, limit: 10) ?? []
        let cardTable = AdminHTML.table(["Card", "Default", "Added"], cards.map { card in
            ["\(Self.cardText(card))", card.isDefault ? AdminHTML.badge("default", .info) : "", AdminFormat.time(card.createdAt)]
        }, empty: "No saved cards.")
        let paymentTable = AdminHTML.table(["Payment", "Amount", "Status", "Purpose", "Created"], payments.map { payment in
            [AdminHTML.idLink(Self.path(payment.id), payment.id), "\(AdminFormat.money(payment.amount, currency: payment.currency))",
             AdminHTML.status(payment.status.rawValue), "\(Self.purposeText(payment.purpose))", AdminFormat.time(payment.createdAt)]
        }, empty: "No payments.", numeric: [1])
        let body: HTML = "<h3>Cards</h3>" + cardTable + "<h3>Payments</h3>" + paymentTable
            + (refunds == nil ? "" : "<h3>Refunds</h3>" + AdminHTML.table(["Refund", "Amount", "To", "State", "Processor refund", "Owed since", "Completed"],
                                                                          refundLines.map { refund in
                [AdminHTML.idLink("/admin/refunds/\(refund.id.uuidString.lowercased())", refund.id), "\(AdminFormat.money(refund.amount))",
                 "\(refund.destination)", AdminHTML.status(refund.state),
                 refund.pspRefundID.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">—</span>",
                 AdminFormat.time(refund.createdAt), AdminFormat.time(refund.completedAt)]
            }, empty: "No refunds.", numeric: [1]))
        let more = ("All payments", "/admin/payments?driver=\(driverID.uuidString.lowercased())")
        let fact: [AdminHTML.Field] = [.init("Default card", text: cards.first(where: \.isDefault).map(Self.cardText) ?? "none")]
        return AdminDriverContribution(facts: fact, panels: [AdminPanel(order: 60, wide: true, AdminHTML.section("Payments and refunds", id: "payments", more: more, body))])
    }

    // MARK: - Positions of lists keyed by text

    /// `<micros>_<key>`: the position after a row in a newest-first list keyed by text.
    static func cursor(_ instant: Date, _ key: String) -> String {
        "\(Int64((instant.timeIntervalSince1970 * 1_000_000).rounded()))_\(key)"
    }

    static func position(_ text: String?) throws -> (Date, String)? {
        guard let text else { return nil }
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]) else { throw AppError.badRequest("that page position is not one this list gave") }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), String(parts[1]))
    }
}
