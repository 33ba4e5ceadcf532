@testable import Cover
import Foundation
import TestSupport
import Testing

/// The session engine against PRODUCT.md's examples, and a property test against a simple
/// minute-by-minute reference model over thousands of random shift streams.
struct SessionEngineTests {
    static let origin = Date(timeIntervalSince1970: 1_780_000_000)
    static func at(_ minute: Int) -> Date { origin.addingTimeInterval(Double(minute) * 60) }
    static func shift(_ start: Int, _ end: Int?) -> Shift { Shift(start: at(start), end: end.map(at)) }

    func sessions(_ shifts: [Shift], now: Int = 10_000) -> [CoverSession] {
        SessionEngine.sessions(shifts: shifts, now: Self.at(now))
    }

    @Test func aShortShiftPaysTheMinimumHour() {
        let result = sessions([Self.shift(0, 20)])
        #expect(result.count == 1)
        #expect(result[0].billedMinutes == 60)
        #expect(result[0].coveredUntil == Self.at(60))
        #expect(result[0].charge(hourlyRateAmount: 203) == 203)
    }

    @Test func minutesRoundUpOncePerSession() {
        let result = sessions([Shift(start: Self.at(0), end: Self.at(90).addingTimeInterval(1))])
        #expect(result[0].billedMinutes == 91)
        #expect(result[0].charge(hourlyRateAmount: 203) == 308)  // 203 × 91 / 60 = 307.88
    }

    @Test func shiftsJoinWithinTenMinutesOrInsideThePaidHour() {
        #expect(sessions([Self.shift(0, 70), Self.shift(80, 100)]).count == 1)   // 10 min gap: joins
        #expect(sessions([Self.shift(0, 70), Self.shift(81, 100)]).count == 2)   // 11 min gap: new session
        #expect(sessions([Self.shift(0, 5), Self.shift(50, 55)]).count == 1)     // inside the paid hour
        #expect(sessions([Self.shift(0, 5), Self.shift(60, 65)]).count == 2)     // the hour ran out
        let joined = sessions([Self.shift(0, 70), Self.shift(80, 100)])[0]
        #expect(joined.billedMinutes == 100)  // the gap is covered and billed
    }

    @Test func overlappingShiftsAreNeverChargedTwice() {
        let result = sessions([Self.shift(0, 120), Self.shift(30, 90), Self.shift(100, 150)])
        #expect(result.count == 1)
        #expect(result[0].billedMinutes == 150)
    }

    @Test func sessionsAreCutAtFourteenHours() {
        let result = sessions([Self.shift(0, 1000), Self.shift(900, 950)])
        #expect(result.count == 2)
        #expect(result[0].wasCut)
        #expect(result[0].billedMinutes == 840)
        #expect(result[0].coveredUntil == Self.at(840))
        #expect(result[1].start == Self.at(900))  // a new shift start after the cut opens new cover
        let running = sessions([Self.shift(0, nil)], now: 900)
        #expect(running[0].wasCut && running[0].isClosed && running[0].billedMinutes == 840)
    }

    @Test func runningShiftsKeepTheSessionOpen() {
        let result = sessions([Self.shift(0, nil)], now: 30)
        #expect(!result[0].isClosed)
        #expect(result[0].coveredUntil == Self.at(60))
        #expect(sessions([Self.shift(0, nil)], now: 200)[0].coveredUntil == Self.at(200))
    }

    @Test func eventsPairByShiftIDInAnyOrder() {
        let events = [
            ShiftEvent(provider: "deliveroo", shiftID: "b", kind: .ended, at: Self.at(200)),
            ShiftEvent(provider: "deliveroo", shiftID: "a", kind: .started, at: Self.at(0)),
            ShiftEvent(provider: "uber_eats", shiftID: nil, kind: .started, at: Self.at(30)),
            ShiftEvent(provider: "deliveroo", shiftID: "b", kind: .started, at: Self.at(150)),
            ShiftEvent(provider: "deliveroo", shiftID: "a", kind: .ended, at: Self.at(60)),
            ShiftEvent(provider: "uber_eats", shiftID: nil, kind: .ended, at: Self.at(90)),
            ShiftEvent(provider: "uber_eats", shiftID: nil, kind: .ended, at: Self.at(95)),  // unmatched: ignored
        ]
        let shifts = SessionEngine.shifts(from: events)
        #expect(shifts == [Self.shift(0, 60), Self.shift(30, 90), Self.shift(150, 200)])
        #expect(SessionEngine.shifts(from: events.reversed()) == shifts)
    }

    // MARK: - Property test

    /// The reference model (TestSupport's `CoverReference`) on `Shift`s measured from `origin`.
    static func reference(_ shifts: [Shift], now: Int, endingAt: Int? = nil,
                          canOpen: (Int) -> Bool) -> [CoverReference.Session] {
        func minute(_ date: Date) -> Int { Int((date.timeIntervalSince(origin) / 60).rounded()) }
        return CoverReference.sessions(shifts.map { (start: minute($0.start), end: $0.end.map(minute)) }, now: now,
                                       endingAt: endingAt, canOpen: canOpen)
    }

    @Test func matchesTheReferenceOnRandomShiftStreams() {
        var generator = SeededGenerator(seed: 20_261_126)
        for round in 0..<3000 {
            var shifts: [Shift] = []
            let providers = Int.random(in: 1...3, using: &generator)
            for _ in 0..<providers {
                var cursor = Int.random(in: 0...300, using: &generator)
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let start = cursor + Int.random(in: 0...120, using: &generator)
                    let length = Int.random(in: 0...400, using: &generator)
                    shifts.append(Self.shift(start, start + length))
                    cursor = start + length + Int.random(in: 0...30, using: &generator)
                }
            }
            if Bool.random(using: &generator), let last = shifts.max(by: { $0.start < $1.start }) {
                shifts.removeAll { $0 == last }
                shifts.append(Shift(start: last.start, end: nil))  // one shift still running
            }
            shifts.sort { ($0.start, $0.end ?? .distantFuture) < ($1.start, $1.end ?? .distantFuture) }
            let latest = shifts.map { Int(($0.end ?? $0.start).timeIntervalSince(Self.origin) / 60) }.max()!
            let now = latest + Int.random(in: 0...900, using: &generator)
            let refusedMinute = Int.random(in: 0...6, using: &generator)
            let canOpen = { (minute: Int) in minute % 7 != refusedMinute }
            let engine = SessionEngine.sessions(shifts: shifts, now: Self.at(now)) {
                canOpen(Int($0.timeIntervalSince(Self.origin) / 60))
            }
            let expected = Self.reference(shifts, now: now, canOpen: canOpen)
            guard compare(engine, expected, round: round, shifts: shifts, now: now) else { return }
            // The same stream with the policy cancelled at a random minute: nothing after it.
            let cancelledAt = Int.random(in: 0...now, using: &generator)
            let ended = SessionEngine.sessions(shifts: shifts, now: Self.at(now), endingAt: Self.at(cancelledAt)) {
                canOpen(Int($0.timeIntervalSince(Self.origin) / 60))
            }
            guard compare(ended, Self.reference(shifts, now: now, endingAt: cancelledAt, canOpen: canOpen), round: round,
                          shifts: shifts, now: now) else { return }
            #expect(ended.allSatisfy { $0.isClosed && $0.coveredUntil <= Self.at(cancelledAt) && $0.start < Self.at(cancelledAt) })
        }
    }

    /// Expects the engine's sessions to be the reference's; false (after recording why) if not.
    func compare(_ engine: [CoverSession], _ expected: [CoverReference.Session], round: Int, shifts: [Shift], now: Int) -> Bool {
        let actual = engine.map { session in
            (start: Int(session.start.timeIntervalSince(Self.origin) / 60),
             end: session.lastShiftEnd.map { Int($0.timeIntervalSince(Self.origin) / 60) },
             minutes: session.billedMinutes, cut: session.wasCut)
        }
        let same = actual.count == expected.count && zip(actual, expected).allSatisfy {
            $0.start == $1.start && $0.end == $1.end && $0.minutes == $1.minutes && $0.cut == $1.cut
        }
        #expect(same, "round \(round): shifts \(shifts.map { ($0.start.timeIntervalSince(Self.origin) / 60, $0.end.map { $0.timeIntervalSince(Self.origin) / 60 }) }) now \(now)\nengine \(actual)\nreference \(expected)")
        if !same { return false }
        // Invariants: sessions never overlap, every one bills between 60 and 840 minutes.
        for pair in zip(engine, engine.dropFirst()) { #expect(pair.0.coveredUntil <= pair.1.start || pair.0.wasCut) }
        #expect(engine.allSatisfy { (60...840).contains($0.billedMinutes) })
        return true
    }
}

