public import Foundation
import HTTPServer
public import Postgres

/// `?limit=` (default 50, capped at 200) and an opaque `?cursor=` for keyset pagination over
/// `(created_at, id)` in descending order (PRODUCT.md's list contract).
public struct PageRequest: Sendable {
    public struct Cursor: Sendable, Equatable {
        public let createdAt: Date
        public let id: UUID
        public init(createdAt: Date, id: UUID) {
            self.createdAt = createdAt
            self.id = id
        }
    }

    public let limit: Int
    public let after: Cursor?

    public init(query: String?) throws(AppError) {
        let parameters = QueryParameters(query)
        var limit = 50
        if let text = parameters["limit"] {
            guard let value = QueryParameters.integer(text), value >= 1 else {
                throw .badRequest("limit must be a positive integer", fields: [FieldError(field: "limit", message: "must be a positive integer")])
            }
            limit = Int(min(value, 200))
        }
        self.limit = limit
        if let text = parameters["cursor"] {
            guard let cursor = Self.decode(text) else {
                throw .badRequest("cursor is not one this API returned", fields: [FieldError(field: "cursor", message: "is invalid")])
            }
            after = cursor
        } else {
            after = nil
        }
    }

    /// `AND (created_at, id) < (cursor)` for keyset pagination newest-first, or nothing on the
    /// first page; pair it with `ORDER BY created_at DESC, id DESC LIMIT \(fetchLimit)`.
    public var keysetCondition: SQL {
        after.map { "AND (created_at, id) < (\($0.createdAt), \($0.id))" } ?? ""
    }

    /// One row more than the page, to know whether another page follows.
    public var fetchLimit: Int { limit + 1 }

    /// The cursor for the page after `items`, or nil on the last page. Fetch `limit + 1` rows:
    /// the extra row only tells whether another page exists.
    public func page<T>(_ items: [T], cursor: (T) -> Cursor) -> (items: [T], nextCursor: String?) {
        guard items.count > limit else { return (items, nil) }
        let shown = Array(items.prefix(limit))
        return (shown, Self.encode(cursor(shown[shown.count - 1])))
    }

    /// `<microseconds since 1970>_<lower-case id>`: every string of that shape (the documented
    /// pattern) is a valid position, so a cursor the document allows is never refused.
    public static let cursorPattern = "^[0-9]{1,16}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

    static func encode(_ cursor: Cursor) -> String {
        let micros = Int64((cursor.createdAt.timeIntervalSince1970 * 1_000_000).rounded())
        return "\(max(micros, 0))_\(cursor.id.uuidString.lowercased())"
    }

    static func decode(_ text: String) -> Cursor? {
        guard text.range(of: cursorPattern, options: .regularExpression) != nil else { return nil }
        let parts = text.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        return Cursor(createdAt: Date(timeIntervalSince1970: Double(micros) / 1_000_000), id: id)
    }
}

/// A list response: `{"data": [...], "next_cursor": ...}`.
public struct ListResponse<Item: Encodable>: Encodable {
    public let data: [Item]
    public let nextCursor: String?

    public init(data: [Item], nextCursor: String?) {
        self.data = data
        self.nextCursor = nextCursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)  // explicit null on the last page
    }

    enum CodingKeys: String, CodingKey { case data, nextCursor }
}

/// Decoded `application/x-www-form-urlencoded` query parameters (the first value of a name,
/// or all of them for repeatable filters).
public struct QueryParameters: Sendable {
    private var values: [(name: String, value: String)] = []

    public init(_ query: String?) {
        guard let query else { return }
        values = Self.pairs(query)
    }

    /// Every `name=value` pair in order, percent- and `+`-decoded; malformed escapes are dropped.
    public static func pairs(_ query: String) -> [(name: String, value: String)] {
        var pairs: [(String, String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else { continue }
            pairs.append((name, value))
        }
        return pairs
    }

    public subscript(name: String) -> String? { values.first { $0.name == name }?.value }

    /// An integer in decimal digits (optionally `-`) that fits in 64 bits, as the document's
    /// `format: int64` says; `+5`, `5.0` and longer numbers are not.
    public static func integer(_ text: String) -> Int64? {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int64(text)
    }

    /// Every value given for a repeatable parameter (`?status=a&status=b`).
    public func all(_ name: String) -> [String] { values.filter { $0.name == name }.map(\.value) }
}
