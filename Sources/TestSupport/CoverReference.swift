/// The cover rules of PRODUCT.md as a person reading them would apply them: walk the
/// timeline minute by minute, keeping only "is a session open, since when, and when did its last
/// shift end". Independent of `SessionEngine` (minutes as integers, no shared code), for the
/// property tests that compare the two, in the domain tests and end to end.
public enum CoverReference {
    public typealias Span = (start: Int, end: Int?)
    public typealias Session = (start: Int, end: Int?, minutes: Int, cut: Bool)

    /// Sessions from shifts (`end` nil: still running) seen at minute `now`. With `endingAt`
    /// (a cancellation at that minute), shifts from then on do not count and running ones stop
    /// there.
    public static func sessions(_ shifts: [Span], now: Int, endingAt: Int? = nil, canOpen: (Int) -> Bool) -> [Session] {
        guard let endingAt else { return walk(shifts, now: now, canOpen: canOpen) }
        let clamped = shifts.filter { $0.start < endingAt }.map { (start: $0.start, end: Optional(min($0.end ?? endingAt, endingAt))) }
        return walk(clamped, now: min(now, endingAt), canOpen: canOpen)
    }

    private static func walk(_ spans: [Span], now: Int, canOpen: (Int) -> Bool) -> [Session] {
        var result: [Session] = []
        var open: (start: Int, lastEnd: Int)?          // lastEnd: latest end among the session's shifts
        var running = 0                                 // shifts of the open session still going
        var members: [Int] = []                         // indices of shifts in the open session
        func close(cut: Bool) {
            guard let session = open else { return }
            let end = cut ? session.start + 840 : (running > 0 ? nil : Optional(session.lastEnd))
            let worked = min(end ?? now, session.start + 840)
            result.append((session.start, end, min(840, max(60, worked - session.start)), cut))
            open = nil
            running = 0
            members = []
        }
        for m in 0...max(now, 0) {
            // Shifts of the open session ending now.
            for index in members where spans[index].end == m { running -= 1 }
            if let session = open, m >= session.start + 840 {
                close(cut: running > 0)  // cut only if work went on past 14 hours
            }
            // Nothing running, past the join window and the paid hour: the session is over.
            if let session = open, running == 0, m - session.lastEnd > 10, m >= session.start + 60 {
                close(cut: false)
            }
            for (index, span) in spans.enumerated() where span.start == m {
                if let session = open {
                    let joinable = running > 0 || m - session.lastEnd <= 10 || m < session.start + 60
                    if joinable {
                        members.append(index)
                        if let end = span.end { open!.lastEnd = max(session.lastEnd, end) }
                        if span.end == nil || span.end! > m { running += 1 }
                        continue
                    }
                    close(cut: false)
                }
                guard canOpen(m) else { continue }
                open = (m, span.end ?? m)
                members = [index]
                running = span.end == nil || span.end! > m ? 1 : 0
            }
        }
        if let session = open {
            close(cut: running > 0 ? now >= session.start + 840 : session.lastEnd > session.start + 840)
        }
        return result
    }
}

/// A small deterministic generator (SplitMix64) so a failing round can be replayed.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
