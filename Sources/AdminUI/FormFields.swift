public import AppKernel

/// The fields of an `application/x-www-form-urlencoded` body (or a query string), in order.
public struct FormFields: Sendable {
    public let pairs: [(name: String, value: String)]

    public init(_ text: String) { pairs = QueryParameters.pairs(text) }
    public init(pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// The first value, surrounding space trimmed; nil when absent or blank.
    public subscript(name: String) -> String? {
        guard let value = pairs.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines),
              !value.isEmpty else { return nil }
        return value
    }

    /// Every non-blank value of a repeatable field (`?status=active&status=paused`).
    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map { $0.value.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}

import Foundation
