import AdminUI
import AppKernel
import Foundation
import Policies
import WorkProviders

/// The cover timeline (OPS.md "Beyond the anchors" 1): one UK day, provider shifts as thin
/// bars, sessions as thick bars with the paid first hour shaded, joined gaps marked and the
/// 14-hour cut marked, hourly blocks, paused periods; every bar links to what made it.
struct CoverTimeline {
    struct ShiftBar {
        let provider: String
        let start: Date
        let end: Date?
        let startEventID: String?
    }

    let dayStart: Date
    let dayEnd: Date
    let now: Date
    let shifts: [ShiftBar]
    let sessions: [SessionRecord]
    let blocks: [Policy]
    let pauses: [(start: Date, end: Date?)]

    static let width = 1000.0
    static let left = 92.0
    static let right = 8.0

    /// Provider events paired into shifts per provider (by shift id, else in time order), for
    /// display; the session engine pairs the same way.
    static func shifts(from events: [ProviderShiftEvent]) -> [ShiftBar] {
        var bars: [ShiftBar] = []
        for provider in Set(events.map(\.provider)).sorted() {
            var open: [String: ProviderShiftEvent] = [:]
            var anonymous: ProviderShiftEvent?
            for event in events.filter({ $0.provider == provider }).sorted(by: { $0.occurredAt < $1.occurredAt }) {
                if event.started {
                    if let id = event.shiftID { if open[id] == nil { open[id] = event } } else if anonymous == nil { anonymous = event }
                } else if let id = event.shiftID, let start = open.removeValue(forKey: id) {
                    bars.append(ShiftBar(provider: provider, start: start.occurredAt, end: event.occurredAt, startEventID: start.eventID))
                } else if event.shiftID == nil, let start = anonymous {
                    bars.append(ShiftBar(provider: provider, start: start.occurredAt, end: event.occurredAt, startEventID: start.eventID))
                    anonymous = nil
                }
            }
            for start in Array(open.values) + [anonymous].compactMap({ $0 }) {
                bars.append(ShiftBar(provider: provider, start: start.occurredAt, end: nil, startEventID: start.eventID))
            }
        }
        return bars.sorted { $0.start < $1.start }
    }

    func x(_ date: Date) -> Double {
        let span = dayEnd.timeIntervalSince(dayStart)
        let fraction = min(max(date.timeIntervalSince(dayStart) / span, 0), 1)
        return Self.left + fraction * (Self.width - Self.left - Self.right)
    }

    func visible(_ start: Date, _ end: Date) -> Bool { start < dayEnd && end > dayStart }

    func render() -> HTML {
        var rows: [(label: String, height: Double, body: String)] = []
        let providers = Array(Set(shifts.map(\.provider))).sorted()
        for provider in providers {
            var body = ""
            for shift in shifts where shift.provider == provider {
                let end = shift.end ?? now
                guard visible(shift.start, end) else { continue }
                let title = "\(provider) shift \(AdminFormat.localText(shift.start)) – \(shift.end.map { AdminFormat.localText($0) } ?? "running")"
                let link = shift.startEventID.map { "/admin/work-providers/events/\(provider)/\(AdminHTML.percentEncode($0))" }
                body += bar(shift.start, end, y: 6, height: 6, fill: "#5b8def", title: title, link: link)
            }
            rows.append((provider == "manual" ? "by hand" : provider.replacingOccurrences(of: "_", with: " "), 18, body))
        }
        var sessionBody = ""
        for session in sessions {
            let end = session.status == "active" && session.endedAt == nil ? max(session.coveredUntil, now) : session.coveredUntil
            guard visible(session.startedAt, end) else { continue }
            let link = "/admin/cover/sessions/\(session.id.uuidString.lowercased())"
            let title = "Session \(AdminFormat.localText(session.startedAt)) – \(AdminFormat.localText(end)): \(session.billedMinutes) min, \(AdminFormat.money(session.chargedAmount))"
            sessionBody += bar(session.startedAt, end, y: 2, height: 16, fill: "#2f9e6b", title: title, link: link)
            // The paid minimum: the first hour, bought as the session opened.
            let firstHour = min(session.startedAt.addingTimeInterval(SessionEngine.minimum), end)
            sessionBody += bar(session.startedAt, firstHour, y: 2, height: 16, fill: "#1a6b47", title: "Paid first hour (the minimum)", link: link)
            // Gaps between shifts inside the session were joined: covered and billed.
            for gap in joinedGaps(in: session) where visible(gap.start, gap.end) {
                sessionBody += bar(gap.start, gap.end, y: 6, height: 8, fill: "#f2c94c", title: "Joined gap \(AdminFormat.duration(Int(gap.end.timeIntervalSince(gap.start)))): covered and billed", link: link)
            }
            let cutAt = session.startedAt.addingTimeInterval(SessionEngine.maximumLength)
            if session.wasCut, cutAt > dayStart, cutAt <= dayEnd {
                let cut = x(cutAt)
                sessionBody += "<line x1=\"\(cut)\" x2=\"\(cut)\" y1=\"0\" y2=\"20\" stroke=\"#b42318\" stroke-width=\"3\"><title>Cut at 14 hours</title></line>"
            }
        }
        rows.append(("sessions", 22, sessionBody))
        var blockBody = ""
        for block in blocks where !block.isPAYG {
            guard let window = block.coverWindow, visible(window.lowerBound, window.upperBound) else { continue }
            blockBody += bar(window.lowerBound, window.upperBound, y: 3, height: 12, fill: "#7b61ff",
                             title: "Hourly block \(block.number)", link: "/admin/policies/\(block.id.uuidString.lowercased())")
        }
        if !blockBody.isEmpty || blocks.contains(where: { !$0.isPAYG }) { rows.append(("blocks", 18, blockBody)) }
        var pauseBody = ""
        for pause in pauses {
            let end = pause.end ?? now
            guard visible(pause.start, end) else { continue }
            pauseBody += bar(pause.start, end, y: 5, height: 8, fill: "#e5484d", title: "Cover paused: balance below £0", link: nil)
        }
        if !pauses.isEmpty { rows.append(("paused", 18, pauseBody)) }

        var y = 22.0
        var svg = ""
        // Hour grid and labels (UK time).
        let calendar = { var c = Calendar(identifier: .gregorian); c.timeZone = AdminFormat.london; return c }()
        var tick = dayStart
        while tick <= dayEnd {
            let hour = calendar.component(.hour, from: tick)
            let position = x(tick)
            svg += "<line x1=\"\(position)\" x2=\"\(position)\" y1=\"18\" y2=\"HEIGHT\" stroke=\"#e3e7ec\"/>"
            if hour % 3 == 0, tick < dayEnd { svg += "<text x=\"\(position)\" y=\"13\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6570\">\(String(format: "%02d:00", hour))</text>" }
            tick = tick.addingTimeInterval(3600)
        }
        for row in rows {
            svg += "<text x=\"4\" y=\"\(y + row.height / 2 + 4)\" font-size=\"12\" fill=\"#1b1f24\">\(HTML.escape(row.label))</text>"
            svg += "<g transform=\"translate(0 \(y))\">\(row.body)</g>"
            y += row.height + 6
        }
        if now > dayStart && now < dayEnd {
            let position = x(now)
            svg += "<line x1=\"\(position)\" x2=\"\(position)\" y1=\"18\" y2=\"HEIGHT\" stroke=\"#1b1f24\" stroke-dasharray=\"3 3\"><title>Now</title></line>"
        }
        let height = y + 4
        svg = svg.replacingOccurrences(of: "HEIGHT", with: String(height))
        // Colours come from the stylesheet: the admin's CSP allows no inline style.
        let legend = "<div class=\"legend\">" + [("shift", "provider shift"), ("first-hour", "paid first hour"), ("session", "session"),
                                                   ("gap", "joined gap"), ("cut", "14-hour cut"), ("block", "hourly block"), ("pause", "paused")]
            .map { "<span><i class=\"\($0.0)\"></i>\($0.1)</span>" }.joined() + "</div>"
        return HTML(stringLiteral: "<div class=\"timeline\"><svg viewBox=\"0 0 \(Self.width) \(height)\" role=\"img\" aria-label=\"Cover timeline\">\(svg)</svg>\(legend)</div>")
    }

    /// Stretches inside a session's shifts where no shift ran: joined within 10 minutes or the
    /// paid hour, so covered and billed.
    func joinedGaps(in session: SessionRecord) -> [(start: Date, end: Date)] {
        let end = session.endedAt ?? now
        let inside = shifts.filter { ($0.end ?? now) > session.startedAt && $0.start < end }.sorted { $0.start < $1.start }
        var gaps: [(Date, Date)] = []
        var reach = session.startedAt
        for shift in inside {
            if shift.start > reach { gaps.append((reach, shift.start)) }
            reach = max(reach, shift.end ?? now)
        }
        return gaps.filter { $0.1.timeIntervalSince($0.0) >= 30 }
    }

    func bar(_ start: Date, _ end: Date, y: Double, height: Double, fill: String, title: String, link: String?) -> String {
        let x1 = x(start), x2 = max(x(end), x1 + 2)
        let rect = "<rect x=\"\(x1)\" y=\"\(y)\" width=\"\(x2 - x1)\" height=\"\(height)\" rx=\"2\" fill=\"\(fill)\"><title>\(HTML.escape(title))</title></rect>"
        guard let link else { return rect }
        return "<a href=\"\(HTML.escape(link))\">\(rect)</a>"
    }
}
