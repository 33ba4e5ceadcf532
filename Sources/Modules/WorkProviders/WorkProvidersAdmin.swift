public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity
import Jobs

/// Work providers in the admin: links (by provider and status) and the provider event
/// inspector: every event the inbox kept, with what can be told of its outcome. The inbox
/// stores an event's fields and when it arrived, not what it did: so the inspector shows the
/// link that applies it (or the 24 hours left for one to appear), whether it arrived after a
/// later event of the same account (late), and the cover engine's job for it. What the cover
/// engine then made of it (opened, joined, extended, nothing) is not recorded: the engine
/// recomputes a driver's sessions from all their events, and the driver's cover timeline
/// shows the result. Duplicates and refused events (too old, in the future, badly signed)
/// are answered and not stored, so they cannot be shown.
public struct WorkProvidersAdmin: AdminSection {
    let app: AppContext
    let config: WorkProvidersConfig
    let identity: Identity
    /// Where the cover engine's jobs (after an unlink or a re-applied event) and notices go.
    let jobs: JobQueue
    var store: WorkProvidersStore { WorkProvidersStore(database: app.database) }

    static let outcomes = ["waiting_for_link", "link_window_passed", "linked", "late"]
    static let types = ["shift_started", "shift_ended"]
    static let countCap = 10_000

    var providers: [String] { config.providers.map(\.name).sorted() }

    public var navigation: [AdminNavItem] {
        [AdminNavItem("Provider links", "/admin/work-providers/links", group: "Cover"),
         AdminNavItem("Provider events", "/admin/work-providers/events", group: "Cover"),
         AdminNavItem("Work providers", "/admin/work-providers/providers", group: "Cover")]
    }

    public var pages: [AdminPage] {
        [
            .get("/admin/work-providers/links", .read) { try await links($0) },
            .get("/admin/work-providers/links/{id}", .read) { try await link($0) },
            .get("/admin/work-providers/events", .read) { try await events($0) },
            .get("/admin/work-providers/events/{provider}/{event}", .read) { try await event($0) },
            .get("/admin/work-providers/providers", .read) { try await providersPage($0) },
            .get("/admin/work-providers/providers/{name}", .read) { try await providerPage($0) },
            .post("/admin/work-providers/providers/{name}/reveal", .operate, needsSudo: true) { try await revealSecret($0) },
        ]
    }

    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        guard staff.may(AdminPermission.read.rawValue) else { return [] }
        let count = try await store.waitingCount(now: app.clock.now(), cap: Self.countCap)
        return [AdminHomeItem("Events waiting for a link", count, path: "/admin/work-providers/events?outcome=waiting_for_link", kind: .queue,
                              wantsAttention: true)]
    }

    // MARK: - Links

    func links(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = WorkProvidersStore.LinkFilter()
        filter.providers = request.query.all("provider")
        filter.statuses = request.query.all("status").filter { WorkProviderLink.Status(rawValue: $0) != nil }
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let (links, next) = page.page(try await store.links(filter, now: request.now, page: page)) {
            PageRequest.Cursor(createdAt: $0.link.createdAt, id: $0.link.id)
        }
        let filters = AdminHTML.filters(request, [
            .init("provider", "Provider", .choices(providers)),
            .init("status", "Status", .choices(WorkProviderLink.Status.allCases.map(\.rawValue))),
        ])
        return .page(AdminView(title: "Provider links", body: filters + Self.linksTable(links, now: request.now, withDriver: true)
                                   + AdminHTML.pager(request, next: next)))
    }

    static func linksTable(_ links: [LinkDetail], now: Date, withDriver: Bool) -> HTML {
        AdminHTML.table(["Link", "Provider", "Their driver id", "Status"] + (withDriver ? ["Driver"] : []) + ["Asked", "Confirmed", "Ended"], links.map { detail in
            let link = detail.link
            var cells: [HTML] = [AdminHTML.idLink(linkPath(link.id), link.id), "\(link.provider)", "<code>\(link.providerDriverID)</code>",
                                 AdminHTML.status(link.status(at: now).rawValue)]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(link.driverID.uuidString.lowercased())", link.driverID)) }
            return cells + [AdminFormat.time(link.createdAt), AdminFormat.time(link.confirmedAt), AdminFormat.time(detail.endedAt)]
        }, empty: "No links.")
    }

    func link(_ request: AdminRequest) async throws -> AdminResponse {
        guard let detail = try await store.link(id: try request.id()) else { throw AppError.notFound("no such link") }
        let link = detail.link
        // The API judges a link's code on the driver's clock (a test clock in sandbox).
        let now = try await identity.now(for: link.driverID)
        let status = link.status(at: now)
        let driver = link.driverID.uuidString.lowercased()
        let fields = AdminHTML.fields([
            .init("Provider", field: "provider", text: link.provider),
            .init("Their driver id", field: "provider_driver_id", "<code>\(link.providerDriverID)</code>"),
            .init("Status", field: "status", AdminHTML.status(status.rawValue)),
            .init("Code expires", field: "link_code_expires_at", status == .pending ? AdminFormat.time(link.codeExpiresAt) : "<span class=\"muted\">—</span>"),
            .init("Wrong codes tried", field: "failed_attempts", text: String(detail.failedAttempts)),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driver)", driver)),
            .init("Asked", field: "created_at", AdminFormat.time(link.createdAt)),
            .init("Confirmed by the provider", field: "confirmed_at", AdminFormat.time(link.confirmedAt)),
            .init("Ended", field: "ended_at", AdminFormat.time(detail.endedAt)),
        ])
        let events = try await store.events(provider: link.provider, providerDriverID: link.providerDriverID, limit: 20)
        let jobs = try await jobStates(events)
        let more = ("All of this account's events",
                    "/admin/work-providers/events?provider=\(AdminHTML.percentEncode(link.provider))&provider_driver_id=\(AdminHTML.percentEncode(link.providerDriverID))")
        let history = try await Audit.historySection(of: [("link", link.id.uuidString.lowercased())], on: app.database)
        let unlink = unlinkForms(request, [detail])
        return .page(AdminView(title: "\(link.provider) link · \(link.providerDriverID)",
                               body: AdminHTML.section("Link", fields) + (unlink.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", unlink))
                                   + AdminHTML.section("This account's latest events", more: more, eventsTable(events, jobs: jobs, now: request.now, staff: request.staff))
                                   + history,
                               crumbs: [("Provider links", "/admin/work-providers/links"), ("Driver", "/admin/drivers/\(driver)")]))
    }

    // MARK: - Events

    func events(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = WorkProvidersStore.EventFilter()
        filter.providers = request.query.all("provider")
        filter.types = request.query.all("type").filter(Self.types.contains)
        filter.outcomes = request.query.all("outcome").filter(Self.outcomes.contains)
        filter.providerDriverID = request.query["provider_driver_id"]
        let rows = try await store.events(filter, now: request.now, after: try Self.position(request.query["cursor"]), limit: 50)
        let events = Array(rows.prefix(50))
        let next = rows.count > 50 ? events.last.map(Self.cursor) : nil
        let jobs = try await jobStates(events)
        let filters = AdminHTML.filters(request, [
            .init("provider", "Provider", .choices(providers)),
            .init("type", "Type", .choices(Self.types)),
            .init("outcome", "Outcome", .choices(Self.outcomes)),
            .init("provider_driver_id", "Their driver id", .text(placeholder: "rider-123")),
        ])
        return .page(AdminView(title: "Provider events", body: Self.inboxNote + filters + eventsTable(events, jobs: jobs, now: request.now, staff: request.staff)
                                   + AdminHTML.pager(request, next: next)))
    }

    static let inboxNote: HTML = """
        <p class="muted">Shift events the providers sent, newest arrival first. The inbox keeps an event once, for \
        a linked account or not; duplicates and refused events (more than 24 hours old, in the future, badly signed) \
        are answered and not kept. What the cover engine made of an event is not recorded: the driver's cover \
        timeline shows the sessions it computed.</p>
        """

    func eventsTable(_ events: [ProviderEventRow], jobs: [String: JobSummary], now: Date, staff: StaffCaller) -> HTML {
        AdminHTML.table(["Event", "Provider", "Their driver id", "Type", "Happened", "Arrived", "Outcome", "Cover engine"], events.map { event in
            [AdminHTML.link(Self.eventPath(event), event.eventID), "\(event.provider)", "<code>\(event.providerDriverID)</code>",
             AdminHTML.status(event.type), AdminFormat.time(event.occurredAt), AdminFormat.time(event.receivedAt),
             Self.outcome(event, now: now).badges, jobCell(jobs[Self.jobKey(event)], staff: staff)]
        }, empty: "No events match.")
    }

    func event(_ request: AdminRequest) async throws -> AdminResponse {
        let provider = try request.parameter("provider"), eventID = try request.parameter("event")
        guard let event = try await store.event(provider: provider, eventID: eventID) else { throw AppError.notFound("no such provider event") }
        let outcome = Self.outcome(event, now: request.now)
        let job = try await JobLookup(app: app).jobs(uniqueKeys: [Self.jobKey(event)])[Self.jobKey(event)]
        let partners = try await store.shiftPartners(of: event)
        let fields = AdminHTML.fields([
            .init("Event id", field: "event_id", "<code>\(event.eventID)</code>"),
            .init("Provider", field: "provider", text: event.provider),
            .init("Their driver id", field: "provider_driver_id", "<code>\(event.providerDriverID)</code>"),
            .init("Type", field: "type", AdminHTML.status(event.type)),
            .init("Shift", field: "shift_id", event.shiftID.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">—</span>"),
            .init("Happened", field: "occurred_at", AdminFormat.time(event.occurredAt)),
            .init("Arrived", field: "received_at", AdminFormat.time(event.receivedAt)),
        ])
        var facts: [AdminHTML.Field] = [.init("Outcome", field: "outcome", outcome.badges)]
        if let linkID = event.linkID, let driverID = event.linkedDriverID {
            facts.append(.init("Applies to", "the driver " + AdminHTML.idLink("/admin/drivers/\(driverID.uuidString.lowercased())", driverID)
                               + " through the \(event.linkEndedAt == nil ? "active" : "since unlinked") link " + AdminHTML.idLink(Self.linkPath(linkID), linkID)
                               + " (confirmed \(AdminFormat.time(event.linkConfirmedAt))"
                               + (event.linkEndedAt.map { ", unlinked \(AdminFormat.time($0)), after this event happened" as HTML } ?? "") + ")"))
        } else {
            facts.append(.init("Applies to", "<span class=\"muted\">nobody yet: no active link for this account</span>"))
        }
        facts.append(.init("Countdown", field: "link_deadline", Self.countdown(event, now: request.now)))
        facts.append(.init("Order", event.arrivedLate
                           ? AdminHTML.badge("late", .warn) + " it arrived after an event of the same account that happened later"
                           : "<span class=\"muted\">in order: nothing later of this account had arrived before it</span>"))
        let jobNote: HTML = event.linkID == nil && job != nil
            ? " <span class=\"muted\">(with no active link it applies nothing; confirming a link queues the cover engine again)</span>" : ""
        facts.append(.init("Cover engine job", jobCell(job, staff: request.staff) + jobNote))
        facts.append(.init("What cover did", "<span class=\"muted\">not recorded: the cover engine recomputes the driver's sessions from all "
                           + "their events and keeps no per-event result; see the cover timeline on the driver's page</span>"))
        let partnerTable = AdminHTML.table(["Event", "Type", "Happened", "Arrived"], partners.map { partner in
            [AdminHTML.link(Self.eventPath(partner), partner.eventID), AdminHTML.status(partner.type), AdminFormat.time(partner.occurredAt),
             AdminFormat.time(partner.receivedAt)]
        }, empty: event.shiftID == nil ? "This event names no shift." : "The other half of this shift has not arrived.")
        let payload = """
            <p class="muted">The inbox keeps the fields of the signed body, not its bytes: this is the event as stored.</p>\
            <pre data-field="payload">\(Self.storedPayload(event))</pre>
            """ as HTML
        let history = try await Audit.historySection(of: [("provider_event", "\(event.provider):\(event.eventID)")], on: app.database)
        let reapply: HTML = event.linkID == nil ? "" : AdminHTML.startForm(request, reapplyEvent, object: "\(event.provider):\(event.eventID)")
        return .page(AdminView(title: "\(event.provider) event \(event.eventID)",
                               body: AdminHTML.section("Event", fields) + AdminHTML.section("Outcome", AdminHTML.fields(facts))
                                   + (reapply.text.isEmpty ? "" : AdminHTML.section("Actions", id: "actions", reapply))
                                   + AdminHTML.section("The same shift", partnerTable) + AdminHTML.section("Payload", payload) + history,
                               crumbs: [("Provider events", "/admin/work-providers/events")]))
    }

    /// What the inbox can tell: linked (applies), waiting for a link (24 hours from when it
    /// happened), or too old for a link to bring it in; and late when it came out of order.
    static func outcome(_ event: ProviderEventRow, now: Date) -> (name: String, badges: HTML) {
        let name: String
        var badges: HTML
        if event.linkID != nil {
            name = "linked"
            badges = AdminHTML.badge("linked: applies", .good)
        } else if deadline(event) > now {
            name = "waiting_for_link"
            badges = AdminHTML.badge("waiting for a link", .warn) + " " + "<span class=\"muted\">\(AdminFormat.duration(Int(deadline(event).timeIntervalSince(now))))</span>"
        } else {
            name = "link_window_passed"
            badges = AdminHTML.badge("no link within 24 hours", .bad)
        }
        if event.arrivedLate { badges += " " + AdminHTML.badge("late", .warn) }
        return (name, badges)
    }

    /// A link must be confirmed within 24 hours of the event for it to count (events are at
    /// most 24 hours late).
    static func deadline(_ event: ProviderEventRow) -> Date { event.occurredAt.addingTimeInterval(WorkProviders.maximumLateness) }

    static func countdown(_ event: ProviderEventRow, now: Date) -> HTML {
        guard event.linkID == nil else { return "<span class=\"muted\">none: the account is linked</span>" }
        let deadline = deadline(event)
        if deadline > now {
            return "\(AdminFormat.duration(Int(deadline.timeIntervalSince(now)))) left for a link: until \(AdminFormat.time(deadline))"
        }
        return "ran out at \(AdminFormat.time(deadline)): a link confirmed now may no longer bring this shift into cover"
    }

    /// The event's stored fields as the JSON a provider sends.
    static func storedPayload(_ event: ProviderEventRow) -> String {
        var fields: [String: JSONValue] = [
            "event_id": .string(event.eventID), "provider_driver_id": .string(event.providerDriverID), "type": .string(event.type),
            "occurred_at": .string(RFC3339.format(event.occurredAt)),
        ]
        if let shiftID = event.shiftID { fields["shift_id"] = .string(shiftID) }
        return APIReference.openAPIText(.object(fields))
    }

    /// The job the inbox queued for the cover engine when the event arrived.
    static func jobKey(_ event: ProviderEventRow) -> String { "event:\(event.provider):\(event.eventID)" }

    func jobStates(_ events: [ProviderEventRow]) async throws -> [String: JobSummary] {
        try await JobLookup(app: app).jobs(uniqueKeys: events.map(Self.jobKey))
    }

    func jobCell(_ job: JobSummary?, staff: StaffCaller) -> HTML {
        guard let job else { return "<span class=\"muted\">no job found</span>" }
        let when: HTML = switch job.state {
        case "succeeded": " " + AdminFormat.time(job.finishedAt)
        case "failed": " retry at " + AdminFormat.time(job.runAt)
        case "queued": " due " + AdminFormat.time(job.runAt)
        default: ""
        }
        let link: HTML = staff.may(AdminPermission.jobs.rawValue) ? " " + AdminHTML.link("/admin/jobs/\(job.id)", "#\(job.id)") : ""
        return AdminHTML.status(job.state) + when + link
    }

    static func linkPath(_ id: UUID) -> String { "/admin/work-providers/links/\(id.uuidString.lowercased())" }
    static func eventPath(_ event: ProviderEventRow) -> String {
        "/admin/work-providers/events/\(AdminHTML.percentEncode(event.provider))/\(AdminHTML.percentEncode(event.eventID))"
    }

    /// `<micros>.<provider>.<event id>` (provider names have no dots).
    static func cursor(_ event: ProviderEventRow) -> String {
        "\(Int64((event.receivedAt.timeIntervalSince1970 * 1_000_000).rounded())).\(event.provider).\(event.eventID)"
    }

    static func position(_ text: String?) throws -> (Date, String, String)? {
        guard let text else { return nil }
        let parts = text.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, let micros = Int64(parts[0]) else { throw AppError.badRequest("that page position is not one this list gave") }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), String(parts[1]), String(parts[2]))
    }

    // MARK: - Search, driver 360

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        guard !query.text.isEmpty, query.text.count <= 200 else { return [] }
        let links = try await store.matchingLinks(providerDriverID: query.text, id: query.uuid)
        var hits = links.map { detail in
            AdminSearchHit(type: "Provider links", title: "\(detail.link.provider) · \(detail.link.providerDriverID)",
                           facts: "\(detail.link.status.rawValue) · asked \(AdminFormat.localText(detail.link.createdAt, seconds: false))",
                           path: Self.linkPath(detail.link.id))
        }
        if links.isEmpty, try await store.hasEvents(providerDriverID: query.text) {
            hits.append(AdminSearchHit(type: "Provider events", title: "Events from \(query.text)", facts: "no link for this account",
                                       path: "/admin/work-providers/events?provider_driver_id=\(AdminHTML.percentEncode(query.text))"))
        }
        hits += try await store.events(eventID: query.text).map { event in
            AdminSearchHit(type: "Provider events", title: "\(event.provider) \(event.eventID)",
                           facts: "\(event.type) · \(AdminFormat.localText(event.occurredAt, seconds: false))", path: Self.eventPath(event))
        }
        return hits
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let links = try await store.links(driverID: driverID, limit: 10)
        guard !links.isEmpty else {
            return AdminDriverContribution(panels: [AdminPanel(order: 70, AdminHTML.section("Provider links", id: "provider-links",
                                                                                               "<p class=\"muted\">Not linked to any work provider.</p>"))])
        }
        let now = try await identity.now(for: driverID)
        let events = try await store.events(ofDriver: driverID, limit: 10)
        let jobs = try await jobStates(events)
        let unlink = unlinkForms(request, links)
        let body = Self.linksTable(links, now: now, withDriver: false) + (unlink.text.isEmpty ? "" : "<div class=\"actions\">\(unlink)</div>")
            + "<h3>Latest events</h3>" + eventsTable(events, jobs: jobs, now: request.now, staff: request.staff)
        let active = links.filter { $0.link.status == .active }
            .map { "\($0.link.provider) (\($0.link.providerDriverID))" }.joined(separator: ", ")
        return AdminDriverContribution(facts: [.init("Linked providers", text: active.isEmpty ? "none" : active)],
                                       panels: [AdminPanel(order: 70, wide: true, AdminHTML.section("Provider links", id: "provider-links", body))])
    }
}
