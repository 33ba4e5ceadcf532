public import Foundation

/// A shift event as a work provider (or the driver, by hand) reports it.
public struct ShiftEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case started = "shift_started", ended = "shift_ended" }
    /// `deliveroo`, `uber_eats`, or `manual` for cover the driver starts by hand.
    public let provider: String
    /// Pairs a start with its end; without one, a provider's events pair in time order.
    public let shiftID: String?
    public let kind: Kind
    public let at: Date

    public init(provider: String, shiftID: String?, kind: Kind, at: Date) {
        self.provider = provider
        self.shiftID = shiftID
        self.kind = kind
        self.at = at
    }
}

/// One shift: `end` is nil while it runs.
public struct Shift: Sendable, Equatable {
    public let start: Date
    public let end: Date?
}

/// A cover session as the rules of PRODUCT.md define it.
public struct CoverSession: Sendable, Equatable {
    public let start: Date
    /// The end of the last shift in the session (the cut, for a cut session); nil while a
    /// shift is still running.
    public let lastShiftEnd: Date?
    /// `start + 14 h`: cover and billing stop here whatever happens.
    public let cutAt: Date
    /// True when the 14-hour cut ended the session.
    public let wasCut: Bool
    /// Cover runs until `max(start + 60 min, end of the last shift)`, never past the cut.
    public let coveredUntil: Date
    /// `max(60, ceil((last shift end − start) / 1 min))`, capped at the cut (840).
    public let billedMinutes: Int
    /// Closed once cover ran out and the join window passed, or the session was cut, at `now`.
    public let isClosed: Bool

    /// The gross charge: `round_half_up(rate × minutes / 60)`, once per session.
    public func charge(hourlyRateAmount: Int64) -> Int64 {
        let numerator = hourlyRateAmount * Int64(billedMinutes)
        return (numerator * 2 + 60) / 120  // half up, for non-negative amounts
    }
}

/// The session rules as a pure function of the shift history and the time (PRODUCT.md
/// "PAYG cover"). Recomputing from the full history makes the outcome independent of the
/// order and lateness of events: the same events always give the same sessions.
///
/// - A session opens at a shift start when none is open (and `canOpen` allows it: the
///   balance rule). Its first 60 minutes are the minimum.
/// - A shift starting within 10 minutes after the session's last shift ended, or before its
///   first 60 minutes run out, joins the session (the gap is covered and billed); overlapping
///   shifts only extend it, so nothing is charged twice.
/// - A session is cut 14 hours after it started; only a shift starting after the cut opens
///   new cover.
public enum SessionEngine {
    public static let minimum: TimeInterval = 60 * 60
    public static let joinGap: TimeInterval = 10 * 60
    public static let maximumLength: TimeInterval = 14 * 3600

    /// Pairs events into shifts: by `shiftID` when given, else in time order per provider.
    /// An end without a start is ignored; a second start of a running shift is ignored.
    public static func shifts(from events: [ShiftEvent]) -> [Shift] {
        var shifts: [Shift] = []
        let byProvider = Dictionary(grouping: events, by: \.provider)
        for (_, providerEvents) in byProvider {
            let sorted = providerEvents.sorted { ($0.at, $0.kind == .started ? 0 : 1) < ($1.at, $1.kind == .started ? 0 : 1) }
            var open: [String: Date] = [:]        // shift id → start
            var anonymousStart: Date?
            for event in sorted {
                switch (event.kind, event.shiftID) {
                case (.started, let id?):
                    if open[id] == nil { open[id] = event.at }
                case (.ended, let id?):
                    if let start = open.removeValue(forKey: id) { shifts.append(Shift(start: start, end: max(start, event.at))) }
                case (.started, nil):
                    if anonymousStart == nil { anonymousStart = event.at }
                case (.ended, nil):
                    if let start = anonymousStart {
                        shifts.append(Shift(start: start, end: max(start, event.at)))
                        anonymousStart = nil
                    }
                }
            }
            shifts += open.values.map { Shift(start: $0, end: nil) }
            if let start = anonymousStart { shifts.append(Shift(start: start, end: nil)) }
        }
        return shifts.sorted { ($0.start, $0.end ?? .distantFuture) < ($1.start, $1.end ?? .distantFuture) }
    }

    /// The sessions the shifts produce, seen at `now`. With `endingAt` (the instant the policy
    /// stopped covering: a cancellation), nothing covers from then on: shifts starting then or
    /// later are ignored, running shifts stop there, and every session is closed by then, the
    /// 60-minute minimum still charged.
    public static func sessions(shifts: [Shift], now requestedNow: Date, endingAt: Date? = nil,
                                canOpen: (Date) -> Bool = { _ in true }) -> [CoverSession] {
        let now = min(requestedNow, endingAt ?? requestedNow)
        let shifts = endingAt.map { end in
            shifts.filter { $0.start < end }.map { Shift(start: $0.start, end: $0.end.map { min($0, end) } ?? end) }
        } ?? shifts
        var sessions: [CoverSession] = []
        var start: Date?
        var lastEnd: Date?      // nil with `running` true: a shift is still going
        var running = false
        func close() {
            guard let sessionStart = start else { return }
            sessions.append(session(start: sessionStart, lastEnd: running ? nil : lastEnd, now: now, endingAt: endingAt))
            start = nil
            lastEnd = nil
            running = false
        }
        for shift in shifts where shift.start <= now {
            if let sessionStart = start {
                let cut = sessionStart.addingTimeInterval(maximumLength)
                let joins = shift.start < cut && (running
                    || shift.start.timeIntervalSince(lastEnd!) <= joinGap
                    || shift.start < sessionStart.addingTimeInterval(minimum))
                if joins {
                    if let end = shift.end {
                        if !running { lastEnd = max(lastEnd!, end) }
                    } else {
                        running = true
                    }
                    continue
                }
                close()
            }
            guard canOpen(shift.start) else { continue }
            start = shift.start
            lastEnd = shift.end
            running = shift.end == nil
        }
        close()
        return sessions
    }

    static func session(start: Date, lastEnd: Date?, now: Date, endingAt: Date? = nil) -> CoverSession {
        let cut = start.addingTimeInterval(maximumLength)
        let minimumEnd = start.addingTimeInterval(minimum)
        let workedUntil = min(lastEnd ?? now, cut)   // a running shift is covered up to now
        var coveredUntil = min(max(minimumEnd, workedUntil), cut)
        if let endingAt { coveredUntil = min(coveredUntil, endingAt) }  // the minimum is charged, not covered
        let wasCut = lastEnd.map { $0 > cut } ?? (now >= cut)
        let minutes = max(60, Int((workedUntil.timeIntervalSince(start) / 60).rounded(.up)))
        // Closed once cover ran out and no shift can join any more (10 minutes after the last
        // end), at the cut, or when the policy stopped covering.
        let isClosed = endingAt != nil || wasCut || (lastEnd.map { now >= max(coveredUntil, $0.addingTimeInterval(joinGap)) } ?? false)
        return CoverSession(start: start, lastShiftEnd: wasCut ? cut : lastEnd, cutAt: cut, wasCut: wasCut, coveredUntil: coveredUntil,
                            billedMinutes: min(minutes, Int(maximumLength / 60)), isClosed: isClosed)
    }

    /// Whether a shift starting at `start` is one the closed session `session` already took
    /// in, or one before it: with in-order processing it would have joined that session, or
    /// belongs to history before it. Used to leave final sessions alone.
    /// A session a member of staff force-closed at `closedByStaffAt` took in every shift that
    /// started before that instant (a shift still running then stopped covering there) and
    /// nothing after: as after the cut, only a shift starting at or after it opens new cover.
    public static func isBehind(_ start: Date, closed session: (start: Date, lastShiftEnd: Date, wasCut: Bool),
                                closedByStaffAt: Date? = nil) -> Bool {
        let cut = session.start.addingTimeInterval(maximumLength)
        if start < session.start { return true }
        if let closedByStaffAt { return start < closedByStaffAt }
        guard start < cut else { return false }
        return session.wasCut || start < session.start.addingTimeInterval(minimum)
            || start.timeIntervalSince(session.lastShiftEnd) <= joinGap
    }
}
