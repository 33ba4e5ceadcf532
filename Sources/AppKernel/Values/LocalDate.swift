public import Postgres

/// A calendar date with no time zone (date of birth, licence issue date), stored as `date`
/// and written `YYYY-MM-DD` (STYLE.md C8).
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil unless the date exists in the Gregorian calendar (years 1...9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CivilCalendar.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: String) {
        var text = text
        guard text.utf8.count == 10,
              let parsed = text.withUTF8({ CivilCalendar.parseDate($0) })
        else { return nil }
        self.init(year: parsed.year, month: parsed.month, day: parsed.day)
    }

    /// The UTC calendar date of an instant.
    public init(utcDateOf instant: Date) {
        let days = Int((instant.timeIntervalSince1970 / 86_400).rounded(.down))
        let civil = CivilCalendar.civil(days: days)
        year = civil.year
        month = civil.month
        day = civil.day
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int { CivilCalendar.days(year: year, month: month, day: day) }

    public func adding(days: Int) -> LocalDate {
        let civil = CivilCalendar.civil(days: dayNumber + days)
        return LocalDate(year: civil.year, month: civil.month, day: civil.day)!
    }

    /// Whole years from `self` to `date` (age on a date); Feb 29 birthdays count on Mar 1 in common years.
    public func wholeYears(until date: LocalDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }
}

extension LocalDate: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected a date as YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension LocalDate: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .date }
    public var postgresText: String? { description }
    public init(postgresCell cell: PostgresCell) throws {
        guard cell.type == .date, let date = LocalDate(cell.string) else { throw cell.failure(LocalDate.self) }
        self = date
    }
}

public import Foundation
