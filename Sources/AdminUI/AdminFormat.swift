public import AppKernel
public import Foundation

/// How the admin shows values: money in pounds, instants in UK time with the UTC instant in a
/// `title`, stored and compared in UTC everywhere else (OPS.md).
public enum AdminFormat {
    public static let london = TimeZone(identifier: "Europe/London")!

    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = london
        return calendar
    }

    /// `£1,234.56`, `−£0.40`.
    public static func money(_ minorUnits: Int64, currency: String = "GBP") -> String {
        let sign = minorUnits < 0 ? "−" : ""
        let magnitude = minorUnits.magnitude
        let pounds = String(magnitude / 100)
        var grouped = ""
        for (index, digit) in pounds.enumerated() {
            if index > 0, (pounds.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        let pence = magnitude % 100
        let symbol = currency == "GBP" ? "£" : currency + " "
        return "\(sign)\(symbol)\(grouped).\(pence < 10 ? "0" : "")\(pence)"
    }

    /// `Tue 1 Dec 2026 18:30:05` in UK time (GMT or BST as it was then).
    public static func localText(_ date: Date, seconds: Bool = true) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let time = "\(two(parts.hour)):\(two(parts.minute))" + (seconds ? ":\(two(parts.second))" : "")
        return "\(weekdays[(parts.weekday ?? 1) - 1]) \(parts.day ?? 0) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 0) \(time) \(zoneName(at: date))"
    }

    /// GMT or BST.
    public static func zoneName(at date: Date) -> String { london.isDaylightSavingTime(for: date) ? "BST" : "GMT" }

    /// An instant as a `<time>` element: UK time shown, the UTC instant in `datetime` and `title`.
    public static func time(_ date: Date?, seconds: Bool = true) -> HTML {
        guard let date else { return "<span class=\"muted\">—</span>" }
        let utc = RFC3339.format(date)
        return "<time datetime=\"\(utc)\" title=\"\(utc) UTC\">\(localText(date, seconds: seconds))</time>"
    }

    /// `2026-12-01T14:32` as UK local time (what a `datetime-local` input sends), or an RFC 3339
    /// instant. In the autumn hour that happens twice, the first (BST) one.
    public static func parseLocal(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let instant = RFC3339.parse(trimmed) { return instant }
        let pieces = trimmed.replacingOccurrences(of: " ", with: "T").split(separator: "T")
        guard pieces.count == 2 else { return nil }
        let date = pieces[0].split(separator: "-").compactMap { Int($0) }
        let time = pieces[1].split(separator: ":").compactMap { Int($0) }
        guard date.count == 3, (2...3).contains(time.count) else { return nil }
        let components = DateComponents(year: date[0], month: date[1], day: date[2], hour: time[0], minute: time[1],
                                        second: time.count == 3 ? time[2] : 0)
        guard let result = calendar.date(from: components),
              calendar.dateComponents([.year, .month, .day], from: result) == DateComponents(year: date[0], month: date[1], day: date[2])
        else { return nil }
        return result
    }

    /// What a `datetime-local` input shows for an instant (UK time, to the minute).
    public static func localInputValue(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `2 h 05 min`, `45 min`, `30 s`.
    public static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds) s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes) min" }
        return "\(minutes / 60) h \(String(format: "%02d", minutes % 60)) min"
    }

    /// All but the last `visible` characters hidden: `•••••••••0123`.
    public static func masked(_ text: String, visible: Int = 4) -> String {
        let characters = Array(text)
        guard characters.count > visible else { return text }
        return String(repeating: "•", count: characters.count - visible) + String(characters.suffix(visible))
    }

    /// A short id for tables (the first 8 hex digits), the full one in the link.
    public static func shortID(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }
}
