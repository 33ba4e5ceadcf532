public import Foundation
import Postgres

/// RFC 3339 instants in UTC with `Z`, as the API writes and reads them (PRODUCT.md).
public enum RFC3339 {
    /// `2026-11-26T16:00:36Z`: always whole seconds (the fraction is dropped), so every
    /// timestamp the API writes has one form that any RFC 3339 parser reads.
    public static func format(_ date: Date) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = totalMilliseconds >= 0 ? totalMilliseconds / 1000 : (totalMilliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let civil = CivilCalendar.civil(days: Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(pad(civil.year, 4))-\(pad(civil.month, 2))-\(pad(civil.day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))"
        return text + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        var text = text
        let utf8Count = text.utf8.count
        guard utf8Count >= 20, utf8Count <= 40 else { return nil }
        return text.withUTF8 { bytes -> Date? in
            guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") else { return nil }
            let last = bytes[bytes.count - 1]
            // The Postgres timestamp parser takes ±HH[:MM] offsets and Z; RFC 3339 requires one of them.
            guard last == UInt8(ascii: "Z") || last == UInt8(ascii: "z") || bytes[bytes.count - 6] == UInt8(ascii: "+")
                || bytes[bytes.count - 6] == UInt8(ascii: "-")
            else { return nil }
            var normalized = Array(bytes)
            if last == UInt8(ascii: "z") { normalized[normalized.count - 1] = UInt8(ascii: "Z") }
            normalized[10] = UInt8(ascii: "T")
            // Fractions beyond microseconds are truncated to what the database keeps.
            if let dot = normalized.firstIndex(of: UInt8(ascii: ".")) {
                var end = dot + 1
                while end < normalized.count, normalized[end] >= 48, normalized[end] <= 57 { end += 1 }
                if end - dot - 1 > 6 { normalized.removeSubrange((dot + 7)..<end) }
            }
            return normalized.withUnsafeBufferPointer { PostgresTimestamp.parse($0) }
        }
    }
}
