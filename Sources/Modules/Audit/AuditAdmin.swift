public import AdminUI
import HTTPServer
public import AppKernel
public import Foundation
public import Postgres

/// `/admin/audit`: the trail, searchable by actor, object, action and date (a search is itself
/// audited), each event with its before and after; and the History section every object page
/// shows.
public struct AuditAdmin: AdminSection {
    let app: AppContext

    public var navigation: [AdminNavItem] { [AdminNavItem("Audit trail", "/admin/audit", group: "Platform", permission: .audit)] }

    public var pages: [AdminPage] {
        [
            .get("/admin/audit", .audit) { try await search($0) },
            .get("/admin/audit/{id}", .audit) { try await show($0) },
        ]
    }

    /// Driver 360's History: events on the driver and on everything the driver owns.
    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        AdminDriverContribution(panels: [AdminPanel(order: 120, wide: true,
                                                    try await Audit.historySection(of: [("driver", driverID.uuidString.lowercased())], on: app.database))])
    }

    func search(_ request: AdminRequest) async throws -> AdminResponse {
        let query = request.query
        var filter = AuditStore.Filter()
        filter.actor = query["actor"]
        filter.objectType = query["object_type"]
        filter.objectID = query["object_id"]?.lowercased()
        filter.action = query["action"]
        filter.from = query["from"].flatMap { AdminFormat.parseLocal($0 + "T00:00") }
        filter.until = query["until"].flatMap { AdminFormat.parseLocal($0 + "T00:00")?.addingTimeInterval(86_400) }
        let page = try PageRequest(query: request.call.request.query.map { q in
            q.split(separator: "&").filter { $0.hasPrefix("cursor=") || $0.hasPrefix("limit=") }.joined(separator: "&")
        })
        let rows = try await AuditStore(database: app.database).search(filter, page: page)
        let (events, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.occurredAt, id: $0.id) }
        let searched = [filter.actor, filter.objectType, filter.objectID, filter.action, query["from"], query["until"]].contains { $0 != nil }
        if searched {
            // Looking through the trail is a sensitive read: it is on the trail too.
            try await Audit.record("audit.searched", AuditObject("audit", "search"),
                                   after: .object(query.pairs.filter { $0.name != "cursor" }.reduce(into: [String: JSONValue]()) { $0[$1.name] = .string($1.value) }),
                                   on: app.database)
        }
        let filters = AdminHTML.filters(request, [
            .init("actor", "Actor", .text(placeholder: "staff:… driver:… system:…")),
            .init("object_type", "Object type", .text(placeholder: "driver, policy, payment…")),
            .init("object_id", "Object id", .text(placeholder: "an id")),
            .init("action", "Action", .text(placeholder: "policies.cancelled, staff.…")),
            .init("from", "From", .date), .init("until", "Until", .date),
        ])
        return .page(AdminView(title: "Audit trail", body: filters + Self.table(events) + AdminHTML.pager(request, next: next)))
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let event = try await AuditStore(database: app.database).find(id: try request.id()) else { throw AppError.notFound("no such audit event") }
        let fields = AdminHTML.fields([
            .init("When", AdminFormat.time(event.occurredAt)),
            .init("Actor", text: event.actor), .init("Role", text: event.role ?? "—"),
            .init("Client address", text: event.clientAddress ?? "—"), .init("Request", text: event.requestID ?? "—"),
            .init("Action", text: event.action),
            .init("Object", text: "\(event.objectType) \(event.objectID)"),
            .init("Belongs to", text: event.ownerType.map { "\($0) \(event.ownerID ?? "")" } ?? "—"),
            .init("Reason", text: [event.reasonCode, event.reasonText].compactMap { $0 }.joined(separator: ": ").nonEmpty ?? "—"),
            .init("Approval", text: event.approvalID?.uuidString.lowercased() ?? "—"),
        ])
        let before = event.before.map { "<h2>Before</h2><pre>\(Self.pretty($0))</pre>" as HTML } ?? ""
        let after = event.after.map { "<h2>After</h2><pre>\(Self.pretty($0))</pre>" as HTML } ?? ""
        return .page(AdminView(title: "Audit event", body: "<section class=\"card\">\(fields)</section><section class=\"card\">\(before)\(after)</section>",
                               crumbs: [("Audit trail", "/admin/audit")]))
    }

    static func pretty(_ value: JSONValue) -> String { APIReference.openAPIText(value) }

    /// Events as a table.
    public static func table(_ events: [AuditEvent]) -> HTML {
        AdminHTML.table(["When", "Actor", "Action", "Object", "Change", ""], events.map { event in
            let change = [event.reasonCode.map { "reason \($0)" }, summary(event)].compactMap { $0 }.joined(separator: " · ")
            return [AdminFormat.time(event.occurredAt), "\(event.actor)\(event.role.map { " (\($0))" } ?? "")",
                    "<code>\(event.action)</code>", "\(event.objectType) \(String(event.objectID.prefix(8)))",
                    "\(change)", "<a href=\"/admin/audit/\(event.id.uuidString.lowercased())\">details</a>"]
        }, empty: "No audit events.")
    }

    /// What changed, in a few words: the keys whose values differ.
    static func summary(_ event: AuditEvent) -> String? {
        guard case .object(let after)? = event.after else { return nil }
        let before: [String: JSONValue] = if case .object(let members)? = event.before { members } else { [:] }
        let changed = after.keys.sorted().filter { before[$0] != after[$0] }.prefix(4)
        return changed.map { key -> String in
            let value = after[key].map(short) ?? "null"
            return before[key].map { "\(key): \(short($0)) → \(value)" } ?? "\(key): \(value)"
        }.joined(separator: ", ").nonEmpty
    }

    static func short(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): String(text.prefix(40))
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array(let items): "[\(items.count)]"
        case .object: "{…}"
        }
    }
}

extension Audit {
    /// The History section of an object page: events on these objects and what they own.
    public static func historySection(of objects: [(type: String, id: String)], on database: any PostgresQueryable) async throws -> HTML {
        let events = try await history(of: objects, limit: 30, on: database)
        let more = objects.first.map { ("Full history", "/admin/audit?object_id=\($0.id)") }
        return AdminHTML.section("History", id: "history", more: more, AuditAdmin.table(events))
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
