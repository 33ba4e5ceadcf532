/// Collects every invalid field of a request so the client hears about all of them at once
/// (422 with `errors: [{field, message}]`).
public struct Validation {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func add(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// Returns the value, or records "is required" and returns nil.
    public mutating func required<T>(_ value: T?, _ field: String) -> T? {
        if value == nil { add(field, "is required") }
        return value
    }

    /// Throws 422 listing every recorded error, if any.
    public func check(_ detail: String = "some fields are invalid") throws(AppError) {
        if !errors.isEmpty { throw .invalid(detail, fields: errors) }
    }

    /// Trims whitespace and checks length and the absence of control characters.
    public mutating func text(_ value: String?, _ field: String, maxLength: Int, required: Bool = true) -> String? {
        guard let value else {
            if required { add(field, "is required") }
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            if required { add(field, "must not be empty") }
            return nil
        }
        // Counted as PostgreSQL's char_length counts (Unicode scalars), not as grapheme
        // clusters: "é" written as e + U+0301 is two, and the database would refuse it.
        if trimmed.unicodeScalars.count > maxLength {
            add(field, "must be at most \(maxLength) characters")
            return nil
        }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            add(field, "must not contain control characters")
            return nil
        }
        return trimmed
    }

    /// A value from a closed set, e.g. `licence_type`.
    public mutating func oneOf<T: RawRepresentable<String> & CaseIterable>(_ value: String?, _ field: String, as _: T.Type) -> T? {
        guard let value = required(value, field) else { return nil }
        guard let parsed = T(rawValue: value) else {
            add(field, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return parsed
    }

    /// A `YYYY-MM-DD` date.
    public mutating func date(_ value: String?, _ field: String) -> LocalDate? {
        guard let value = required(value, field) else { return nil }
        guard let date = LocalDate(value) else {
            add(field, "must be a valid date as YYYY-MM-DD")
            return nil
        }
        return date
    }

    /// An integer within `range`.
    public mutating func integer<T: BinaryInteger>(_ value: T?, _ field: String, in range: ClosedRange<T>, required: Bool = true) -> T? {
        guard let value else {
            if required { add(field, "is required") }
            return nil
        }
        guard range.contains(value) else {
            add(field, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }
}

import Foundation
