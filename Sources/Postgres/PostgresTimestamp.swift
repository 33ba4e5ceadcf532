public import Foundation

/// The `timestamptz` text format, in UTC with microsecond precision (PostgreSQL's own precision).
public enum PostgresTimestamp {
    /// `2026-11-26 16:00:36.123456+00`
    public static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let civil = CivilCalendar.civil(days: Int(days))
        var out = [UInt8]()
        out.reserveCapacity(32)
        CivilCalendar.appendPadded(civil.year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        CivilCalendar.appendPadded(civil.month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        CivilCalendar.appendPadded(civil.day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        CivilCalendar.appendPadded(Int(secondOfDay / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        CivilCalendar.appendPadded(Int(secondOfDay % 3600 / 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        CivilCalendar.appendPadded(Int(secondOfDay % 60), width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        CivilCalendar.appendPadded(Int(fraction), width: 6, to: &out)
        out.append(contentsOf: "+00".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.f{1,6}][(+|-)HH[:MM[:SS]]]`; no offset means UTC.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard let date = CivilCalendar.parseDate(bytes), bytes.count >= 19,
              bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = CivilCalendar.digits(bytes, 11, 2), let minute = CivilCalendar.digits(bytes, 14, 2),
              let second = CivilCalendar.digits(bytes, 17, 2), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var micros = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            let start = index
            while index < bytes.count, let digit = CivilCalendar.digits(bytes, index, 1) {
                guard index - start < 6 else { return nil }
                micros += digit * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            let sign: Int
            switch bytes[index] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            case UInt8(ascii: "Z"):
                guard index + 1 == bytes.count else { return nil }
                sign = 0
            default: return nil
            }
            if sign != 0 {
                index += 1
                var parts = [Int]()
                while index < bytes.count {
                    guard parts.count < 3, let value = CivilCalendar.digits(bytes, index, 2) else { return nil }
                    parts.append(value)
                    index += 2
                    if index < bytes.count {
                        guard bytes[index] == UInt8(ascii: ":") else { return nil }
                        index += 1
                    }
                }
                guard !parts.isEmpty else { return nil }
                let multipliers = [3600, 60, 1]
                offsetSeconds = sign * zip(parts, multipliers).map { $0 * $1 }.reduce(0, +)
            }
        }
        let days = CivilCalendar.days(year: date.year, month: date.month, day: date.day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        // The same arithmetic as every "now" we make (whole microseconds over 10⁶), so a time
        // written and read back is the identical Date.
        return Date(timeIntervalSince1970: Double(seconds * 1_000_000 + Int64(micros)) / 1_000_000)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }
}
