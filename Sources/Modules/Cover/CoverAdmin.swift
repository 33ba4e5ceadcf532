public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity
import Ledger
import Policies
import Rating
import Vehicles
import Wallet
import WorkProviders

/// Cover in the admin: sessions (list, one session with its billing explainer and the event
/// that opened it), the cover timeline, "was covered at T" with its evidence (the same answer
/// as `GET /v1/cover?at=`, from the same function), ops-home counts, and driver 360's timeline.
public struct CoverAdmin: AdminSection {
    let service: CoverService
    var app: AppContext { service.app }
    var store: CoverStore { CoverStore(database: app.database) }
    var policies: Policies { Policies(app: app) }

    public var navigation: [AdminNavItem] {
        [AdminNavItem("Sessions", "/admin/cover/sessions", group: "Cover"),
         AdminNavItem("Was covered at…", "/admin/cover/lookup", group: "Cover"),
         AdminNavItem("Timeline", "/admin/cover/timeline", group: "Cover")]
    }

    public var pages: [AdminPage] {
        [
            .get("/admin/cover/sessions", .read) { try await list($0) },
            .get("/admin/cover/sessions/{id}", .read) { try await show($0) },
            .get("/admin/cover/lookup", .read) { try await lookup($0) },
            .get("/admin/cover/timeline", .read) { try await timelinePage($0) },
        ]
    }

    // MARK: Sessions

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let driverID = request.query["driver"].flatMap(UUID.init(uuidString:))
        let rows = try await store.list(statuses: request.query.all("status"), cutOnly: request.query["cut"] == "yes", driverID: driverID, page: page)
        let (sessions, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.startedAt, id: $0.id) }
        let filters = AdminHTML.filters(request, [
            .init("status", "Status", .choices(["active", "closed", "superseded"])),
            .init("cut", "Cut at 14 h", .choices(["yes"])),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
        ])
        return .page(AdminView(title: "Sessions", body: filters + Self.table(sessions, withDriver: true) + AdminHTML.pager(request, next: next)))
    }

    static func table(_ sessions: [SessionRecord], withDriver: Bool) -> HTML {
        AdminHTML.table(["Session", "Started", "Covered until", "Minutes", "Charged", "Status"] + (withDriver ? ["Driver"] : []), sessions.map { session in
            var cells: [HTML] = [AdminHTML.idLink("/admin/cover/sessions/\(session.id.uuidString.lowercased())", session.id),
                                 AdminFormat.time(session.startedAt), AdminFormat.time(session.coveredUntil), "\(session.billedMinutes)",
                                 "\(AdminFormat.money(session.chargedAmount))",
                                 AdminHTML.status(session.status) + (session.wasCut ? " " + AdminHTML.badge("cut at 14 h", .bad) : "")
                                     + (session.final ? " " + AdminHTML.badge("final", .plain) : "")]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(session.driverID.uuidString.lowercased())", session.driverID)) }
            return cells
        }, empty: "No sessions.", numeric: [3, 4])
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let session = try await store.anySession(try request.id()) else { throw AppError.notFound("no such session") }
        let id = session.id.uuidString.lowercased()
        let driverNow = try await Identity(app: app).now(for: session.driverID)
        let policy = try await policies.anyPolicy(session.policyId)
        let fields = AdminHTML.fields([
            .init("Status", field: "status", AdminHTML.status(session.status) + (session.final ? " " + AdminHTML.badge("final: nothing can change it", .plain) : "")),
            .init("Driver", AdminHTML.link("/admin/drivers/\(session.driverID.uuidString.lowercased())", session.driverID.uuidString.lowercased())),
            .init("Policy", field: "policy_id", policy.map { AdminHTML.link("/admin/policies/\($0.id.uuidString.lowercased())", $0.number) } ?? "—"),
            .init("Started", field: "started_at", AdminFormat.time(session.startedAt)),
            .init("Last shift ended", field: "ended_at", session.endedAt.map { AdminFormat.time($0) } ?? "still on shift"),
            .init("Covered until", field: "covered_until", AdminFormat.time(session.coveredUntil)),
            .init("Billed minutes", field: "billed_minutes", text: String(session.billedMinutes)),
            .init("Charged", field: "charged_amount", text: AdminFormat.money(session.chargedAmount)),
            .init("Cut at 14 hours", field: "was_cut", AdminHTML.yesNo(session.wasCut)),
            .init("Force-closed by staff", session.closedByStaffAt.map { AdminFormat.time($0) } ?? "<span class=\"muted\">no</span>"),
        ])
        let explainer = try await explain(session, now: driverNow)
        let evidence = try await openingEvidence(session)
        let history = try await Audit.historySection(of: [("session", id)], on: app.database)
        return .page(AdminView(title: "Session \(AdminFormat.shortID(session.id))",
                               body: AdminHTML.section("Session", fields) + sessionForms(request, session) + explainer + AdminHTML.section("How it opened", evidence) + history,
                               crumbs: [("Sessions", "/admin/cover/sessions"), ("Driver", "/admin/drivers/\(session.driverID.uuidString.lowercased())")]))
    }

    /// OPS.md's session billing explainer: the arithmetic of the charge, step by step, with
    /// the ledger postings that took it.
    func explain(_ session: SessionRecord, now: Date) async throws -> HTML {
        let lastEnd = session.endedAt
        let elapsed = (lastEnd ?? now).timeIntervalSince(session.startedAt)
        let minutes = Int((elapsed / 60).rounded(.up))
        let billed = session.billedMinutes
        let rate = session.hourlyRateAmount
        let due = (rate * Int64(billed) * 2 + 60) / 120
        let ipt = PremiumTax.ipt(ofGross: due)
        let exact = Double(rate * Int64(billed)) / 60
        let postings = try await Ledger().postings(relatedTo: session.id, on: app.database)
        let steps: [AdminHTML.Field] = [
            .init("Start", AdminFormat.time(session.startedAt)),
            .init("Last shift end", lastEnd.map { AdminFormat.time($0) } ?? "<span class=\"muted\">on shift now (\(AdminFormat.time(now)) so far)</span>"),
            .init("Minutes", text: "ceil((\(lastEnd == nil ? "now" : "last shift end") − start) / 1 min) = \(minutes)"),
            .init("Billed minutes", "max(60, \(minutes))\(session.wasCut ? ", capped at the 14-hour cut (840)" : "") = <strong data-field=\"billed_minutes\">\(billed)</strong>"),
            .init("Rate", text: "\(AdminFormat.money(rate)) an hour, locked from the quote"),
            .init("Charge", "round_half_up(\(rate)p × \(billed) / 60) = round_half_up(\(String(format: "%.2f", exact))p) = <strong>\(due)p = \(AdminFormat.money(due))</strong>"
                  + (session.isClosed ? "" : " <span class=\"muted\">(if it closed now; so far the first hour is charged)</span>")),
            .init("IPT inside it", text: "round_half_up(\(due)p × 3/28) = \(ipt)p; premium \(due - ipt)p"),
            .init("Charged so far", field: "charged_amount", text: "\(AdminFormat.money(session.chargedAmount)) (IPT \(AdminFormat.money(session.iptAmount)))"),
        ]
        let rows = postings.map { posting -> [HTML] in
            [AdminHTML.idLink("/admin/ledger/transactions/\(posting.id.uuidString.lowercased())", posting.id), AdminFormat.time(posting.createdAt),
             "\(posting.description)", "\(AdminFormat.money(posting.amount))", "\(AdminFormat.money(posting.iptAmount))"]
        }
        let ledger = AdminHTML.table(["Ledger posting", "When", "What", "Balance effect", "IPT"], rows, empty: "No postings yet.", numeric: [3, 4])
        return AdminHTML.section("Billing explainer", id: "explainer", AdminHTML.fields(steps) + "<h2>Postings</h2>" + ledger)
    }

    /// Which event opened the session: the provider's shift start at its first instant, or the
    /// driver starting cover by hand.
    func openingEvidence(_ session: SessionRecord) async throws -> HTML {
        let events = try await WorkProviders(app: app).shiftEvents(for: session.driverID, since: session.startedAt.addingTimeInterval(-1))
        if let opener = events.first(where: { $0.started && abs($0.occurredAt.timeIntervalSince(session.startedAt)) < 1 }) {
            return "<p>Opened by a <strong>\(opener.provider.replacingOccurrences(of: "_", with: " "))</strong> shift start at \(AdminFormat.time(opener.occurredAt)): event "
                + AdminHTML.link("/admin/work-providers/events/\(opener.provider)/\(AdminHTML.percentEncode(opener.eventID))", opener.eventID) + ".</p>"
        }
        let manual = try await store.manualShifts(driverID: session.driverID, overlapping: session.startedAt.addingTimeInterval(-1), session.startedAt.addingTimeInterval(1))
        if manual.contains(where: { abs($0.start.timeIntervalSince(session.startedAt)) < 1 }) {
            return "<p>Opened by the driver starting cover by hand at \(AdminFormat.time(session.startedAt)).</p>"
        }
        return "<p class=\"muted\">No shift start at this instant is on record any more (the link may have been removed).</p>"
    }

    // MARK: Was covered at T

    /// OPS.md: yes or no with the policy, session or block and the evidence chain; the answer
    /// comes from `CoverService.coverage`, which `GET /v1/cover?at=` uses too.
    func lookup(_ request: AdminRequest) async throws -> AdminResponse {
        let driverText = request.query["driver"] ?? ""
        let registration = request.query["registration"] ?? ""
        let atText = request.query["at"] ?? ""
        var candidates: [UUID] = []
        if let id = UUID(uuidString: driverText) { candidates = [id] }
        if candidates.isEmpty, !registration.isEmpty {
            for vehicle in try await Vehicles(app: app).vehicles(registration: registration) where !candidates.contains(vehicle.driverId) {
                candidates.append(vehicle.driverId)
            }
        }
        let at = AdminFormat.parseLocal(atText)
        let form: HTML = """
            <form class="filters" method="get" action="/admin/cover/lookup" data-action="cover_lookup">\
            <label>Driver id <input type="text" name="driver" value="\(driverText)" placeholder="a driver's id"></label>\
            <label>or registration <input type="text" name="registration" value="\(registration)" placeholder="AB12 CDE"></label>\
            <label>At (UK time) <input type="datetime-local" name="at" step="1" value="\(at.map { AdminFormat.localInputValue($0) } ?? atText)" required></label>\
            <button type="submit">Look up</button></form>
            """
        guard !atText.isEmpty, !(driverText.isEmpty && registration.isEmpty) else {
            return .page(AdminView(title: "Was covered at…", body: form + "<p class=\"muted\">Enter a driver or a registration and a time in UK time (GMT or BST, as the clocks were).</p>"))
        }
        guard let at else { return .page(AdminView(title: "Was covered at…", body: form + AdminHTML.notice("That time is not one we can read.", .bad))) }
        if candidates.count > 1 {
            let list = candidates.map { id -> HTML in "<li><a href=\"/admin/cover/lookup?driver=\(id.uuidString.lowercased())&amp;at=\(AdminHTML.percentEncode(atText))\">\(id.uuidString.lowercased())</a></li>" }
            return .page(AdminView(title: "Was covered at…", body: form + "<p>Several drivers have had a vehicle with that registration. Choose one:</p><ul>\(list)</ul>"))
        }
        guard let driverID = candidates.first else {
            return .page(AdminView(title: "Was covered at…", body: form + AdminHTML.notice("No driver or vehicle matches.", .warn)))
        }
        let answer = try await evidence(driverID: driverID, at: at)
        return .page(AdminView(title: "Was covered at…", body: form + answer))
    }

    /// The answer and its evidence chain.
    func evidence(driverID: UUID, at instant: Date) async throws -> HTML {
        let driverNow = try await Identity(app: app).now(for: driverID)
        let coverage = try await service.coverage(of: driverID, policy: nil, at: instant, now: driverNow)
        let driverLink = AdminHTML.link("/admin/drivers/\(driverID.uuidString.lowercased())", driverID.uuidString.lowercased())
        var steps: [HTML] = ["<li>Driver \(driverLink); the instant asked about: \(AdminFormat.time(instant)) (\(RFC3339.format(instant)) UTC).</li>"]
        let verdict: HTML
        if let coverage, let policy = try await policies.anyPolicy(coverage.policyID) {
            verdict = "<p class=\"answer yes\" data-field=\"covered\">Yes, covered</p>"
            steps.append("<li>Policy \(AdminHTML.link("/admin/policies/\(policy.id.uuidString.lowercased())", policy.number)) <span data-field=\"policy_id\" hidden>\(policy.id.uuidString.lowercased())</span> (\(policy.product == "payg" ? "pay as you go" : "hourly block"), status now \(policy.status(at: driverNow).rawValue)).</li>")
            if let sessionID = coverage.sessionID, let session = try await store.anySession(sessionID) {
                steps.append("<li>Session \(AdminHTML.link("/admin/cover/sessions/\(sessionID.uuidString.lowercased())", AdminFormat.shortID(sessionID))) <span data-field=\"session_id\" hidden>\(sessionID.uuidString.lowercased())</span> started \(AdminFormat.time(session.startedAt)).</li>")
                steps.append("<li>\(try await openingEvidence(session))</li>")
                let why: String = session.wasCut ? "the session was cut at 14 hours"
                    : session.endedAt == nil ? "a shift was still running"
                    : session.coveredUntil == session.startedAt.addingTimeInterval(SessionEngine.minimum) ? "the paid first hour (the minimum) ran until then"
                    : "the last shift ended then"
                steps.append("<li>Covered until <span data-field=\"covered_until\">\(AdminFormat.time(coverage.coveredUntil))</span>: \(why).</li>")
            } else {
                steps.append("<li>A paid hourly block: paid \(AdminFormat.time(policy.paidAt)), covering \(AdminFormat.time(policy.coverWindow?.lowerBound)) to <span data-field=\"covered_until\">\(AdminFormat.time(coverage.coveredUntil))</span>"
                             + (policy.cancelledAt.map { " (cancelled \(AdminFormat.time($0)))" } ?? "") + ".</li>")
            }
        } else {
            verdict = "<p class=\"answer no\" data-field=\"covered\">No, not covered</p>"
            let nearby = try await store.sessions(driverID: driverID, overlapping: instant.addingTimeInterval(-12 * 3600), instant.addingTimeInterval(12 * 3600))
            let before = nearby.last { $0.startedAt <= instant }, after = nearby.first { $0.startedAt > instant }
            steps.append("<li>No PAYG session covered it."
                         + (before.map { " The last one before started \(AdminFormat.time($0.startedAt)) and covered until \(AdminFormat.time($0.coveredUntil))." } ?? "")
                         + (after.map { " The next one started \(AdminFormat.time($0.startedAt))." } ?? "") + "</li>")
            let all = try await policies.all(of: driverID)
            if all.isEmpty { steps.append("<li>The driver has no policy.</li>") }
            for policy in all.prefix(5) {
                let state: String
                if policy.startsAt > instant { state = "had not started (starts \(AdminFormat.localText(policy.startsAt)))" }
                else if let cancelled = policy.cancelledAt, cancelled <= instant { state = "was cancelled \(AdminFormat.localText(cancelled))" }
                else if let deactivated = policy.deactivatedAt, deactivated <= instant { state = "was deactivated \(AdminFormat.localText(deactivated))" }
                else if !policy.isPAYG && policy.paidAt == nil { state = "was never paid for, so it covered nothing" }
                else if !policy.isPAYG, let window = policy.coverWindow, !window.contains(instant) { state = "covered only \(AdminFormat.localText(window.lowerBound)) to \(AdminFormat.localText(window.upperBound))" }
                else { state = policy.isPAYG ? "was in force, but no shift or hand-started cover was running" : "did not cover it" }
                steps.append("<li>Policy \(AdminHTML.link("/admin/policies/\(policy.id.uuidString.lowercased())", policy.number)) (\(policy.product)) \(state).</li>")
            }
        }
        return "<section class=\"card\">" + verdict + "<ol class=\"evidence\">\(steps)</ol>"
            + "<p class=\"muted\">The driver app's <code>GET /v1/cover?at=</code> gives the same answer: both come from the same cover lookup.</p></section>"
    }

    // MARK: Timeline

    func timelinePage(_ request: AdminRequest) async throws -> AdminResponse {
        guard let driverID = request.query["driver"].flatMap(UUID.init(uuidString:)) else {
            return .page(AdminView(title: "Cover timeline", body: """
                <form class="filters" method="get" action="/admin/cover/timeline"><label>Driver id <input type="text" name="driver" required></label>\
                <label>Day <input type="date" name="day"></label><button type="submit">Show</button></form>
                """))
        }
        let day = request.query["day"].flatMap { AdminFormat.parseLocal($0 + "T00:00") }
        return .page(AdminView(title: "Cover timeline", body: try await timelineSection(driverID, day: day, request: request),
                               crumbs: [("Driver", "/admin/drivers/\(driverID.uuidString.lowercased())")]))
    }

    /// One UK day of a driver's cover, with links to the days either side. Without `day`: the
    /// day of the latest session (today when one is open, or nothing happened).
    func timelineSection(_ driverID: UUID, day: Date?, request: AdminRequest) async throws -> HTML {
        let driverNow = try await Identity(app: app).now(for: driverID)
        let latest = try await store.latest(driverID: driverID, limit: 1).first
        let anchor = day ?? (latest.map { $0.status == "active" ? driverNow : $0.startedAt } ?? driverNow)
        let calendar = { var c = Calendar(identifier: .gregorian); c.timeZone = AdminFormat.london; return c }()
        let dayStart = calendar.startOfDay(for: anchor)
        let dayEnd = calendar.date(byAdding: .day, value: 1, to: dayStart) ?? dayStart.addingTimeInterval(86_400)
        let events = try await WorkProviders(app: app).shiftEvents(for: driverID, since: dayStart.addingTimeInterval(-14 * 3600))
            .filter { $0.occurredAt < dayEnd }
        var shifts = CoverTimeline.shifts(from: events)
        for manual in try await store.manualShifts(driverID: driverID, overlapping: dayStart, dayEnd) {
            shifts.append(.init(provider: "manual", start: manual.start, end: manual.end, startEventID: nil))
        }
        let sessions = try await store.sessions(driverID: driverID, overlapping: dayStart, dayEnd)
        let blocks = try await policies.policies(of: driverID, overlapping: dayStart, dayEnd)
        let pauses = try await pausePeriods(driverID, from: dayStart, to: dayEnd, now: driverNow)
        let timeline = CoverTimeline(dayStart: dayStart, dayEnd: dayEnd, now: driverNow, shifts: shifts, sessions: sessions, blocks: blocks, pauses: pauses)
        func dayLink(_ offset: Int, _ label: String) -> HTML {
            let date = calendar.date(byAdding: .day, value: offset, to: dayStart) ?? dayStart
            let text = AdminFormat.localInputValue(date).prefix(10)
            return "<a href=\"/admin/cover/timeline?driver=\(driverID.uuidString.lowercased())&amp;day=\(String(text))\">\(label)</a>"
        }
        let heading = "\(AdminFormat.localText(dayStart, seconds: false).dropLast(9))"
        let nav: HTML = "<p>" + dayLink(-1, "← previous day") + " · <strong>\(String(heading))</strong> · " + dayLink(1, "next day →") + "</p>"
        let empty: HTML = sessions.isEmpty && shifts.isEmpty && blocks.isEmpty ? "<p class=\"muted\">No shifts, sessions or blocks this day.</p>" : ""
        return AdminHTML.section("Cover timeline", id: "timeline", more: ("All sessions", "/admin/cover/sessions?driver=\(driverID.uuidString.lowercased())"),
                                 nav + timeline.render() + empty)
    }

    /// When cover was paused for money: from the audit trail's pause and resume events, and the
    /// wallet's current state.
    func pausePeriods(_ driverID: UUID, from: Date, to: Date, now: Date) async throws -> [(start: Date, end: Date?)] {
        let events = try await Audit.history(of: [("wallet", driverID.uuidString.lowercased())], limit: 200, on: app.database)
            .filter { $0.action == "wallet.cover_paused" || $0.action == "wallet.cover_resumed" }
            .sorted { $0.occurredAt < $1.occurredAt }
        var periods: [(Date, Date?)] = []
        var start: Date?
        for event in events {
            if event.action == "wallet.cover_paused" { start = start ?? event.occurredAt }
            else if let began = start { periods.append((began, event.occurredAt)); start = nil }
        }
        if let start { periods.append((start, nil)) }
        return periods.filter { ($0.1 ?? now) > from && $0.0 < to }
    }

    // MARK: Home, search, driver 360

    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        guard staff.may(AdminPermission.read.rawValue) else { return [] }
        let now = app.clock.now()
        let counts = try await store.homeCounts(now: now)
        let blocks = try await policies.blocksCovering(now)
        return [
            AdminHomeItem("Covered by a session now", counts.coveredNow, path: "/admin/cover/sessions?status=active", kind: .now),
            AdminHomeItem("Hourly blocks in force now", blocks, path: "/admin/policies?product=hourly&status=active", kind: .now),
            AdminHomeItem("Open sessions", counts.open, path: "/admin/cover/sessions?status=active", kind: .now),
            AdminHomeItem("Sessions near the 14-hour cut", counts.nearCut, path: "/admin/cover/sessions?status=active", kind: .now, wantsAttention: true),
        ]
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        guard let id = query.uuid, let session = try await store.anySession(id) else { return [] }
        return [AdminSearchHit(type: "Sessions", title: "Session \(AdminFormat.shortID(id))",
                               facts: "started \(AdminFormat.localText(session.startedAt, seconds: false)), \(session.status), \(AdminFormat.money(session.chargedAmount))",
                               path: "/admin/cover/sessions/\(id.uuidString.lowercased())")]
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let driverNow = try await Identity(app: app).now(for: driverID)
        var badges: [HTML] = []
        let coverageNow = try await service.coverage(of: driverID, policy: nil, at: driverNow, now: driverNow)
        if let coverage = coverageNow {
            badges.append(AdminHTML.badge("covered now, until \(AdminFormat.localText(coverage.coveredUntil, seconds: false))", .good))
        } else {
            badges.append(AdminHTML.badge("not covered now", .plain))
        }
        let latest = try await store.latest(driverID: driverID, limit: 5)
        if let open = latest.first(where: { $0.status == "active" }) {
            badges.append(AdminHTML.badge("session open since \(AdminFormat.localText(open.startedAt, seconds: false))", .info))
        }
        if try await service.wallet.isCoverPaused(driverID) {
            let (cash, promo) = try await Ledger().driverBalances(driverID, on: app.database)
            badges.append(AdminHTML.badge("paused: balance \(AdminFormat.money(cash + promo))", .bad))
        }
        let timeline = try await timelineSection(driverID, day: nil, request: request)
        let recent = AdminHTML.section("Latest sessions", id: "sessions", more: ("All", "/admin/cover/sessions?driver=\(driverID.uuidString.lowercased())"),
                                       Self.table(latest, withDriver: false))
        var panels = [AdminPanel(order: 10, wide: true, timeline), AdminPanel(order: 15, wide: true, recent)]
        let forms = try await driverForms(request, driverID: driverID, covered: coverageNow != nil)
        if !forms.text.isEmpty { panels.append(AdminPanel(order: 16, forms)) }
        return AdminDriverContribution(badges: badges, panels: panels)
    }
}
