/// A SQL statement whose interpolated values are always sent as bound parameters.
///
/// ```swift
/// let sql: SQL = "SELECT id FROM identity.users WHERE email = \(email) AND active = \(true)"
/// // text: "SELECT id FROM identity.users WHERE email = $1 AND active = $2", two binds
/// ```
/// Interpolating another `SQL` splices its text and binds in (placeholders renumbered). The only
/// way to put raw text in is `SQL(unsafeSQL:)` / `\(unsafeRaw:)`, meant for identifiers and
/// fixed keywords, never for user input.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Fragment: Sendable {
        case text(String)
        case bind(PostgresBind)
    }

    private(set) var fragments: [Fragment]

    public init(unsafeSQL text: String) { fragments = [.text(text)] }
    public init(stringLiteral value: String) { fragments = [.text(value)] }
    public init(stringInterpolation: StringInterpolation) { fragments = stringInterpolation.fragments }

    /// The statement text with `$1`, `$2`... placeholders.
    public var text: String {
        var out = ""
        var number = 0
        for fragment in fragments {
            switch fragment {
            case .text(let text): out += text
            case .bind:
                number += 1
                out += "$\(number)"
            }
        }
        return out
    }

    /// The bound values in placeholder order.
    public var binds: [PostgresBind] {
        fragments.compactMap { if case .bind(let bind) = $0 { bind } else { nil } }
    }

    /// The statement text only: bound values are never printed.
    public var description: String { text }

    /// Joins fragments with a separator, e.g. a list of conditions with " AND ".
    public static func joined(_ parts: [SQL], separator: String) -> SQL {
        var result = SQL(unsafeSQL: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.fragments.append(.text(separator)) }
            result.fragments += part.fragments
        }
        return result
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.fragments += rhs.fragments
        return result
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var fragments: [Fragment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            fragments.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { fragments.append(.text(literal)) }
        }

        /// A bound value: becomes `$n`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            fragments.append(.bind(PostgresBind(type: Value.postgresType, text: value.postgresText)))
        }

        /// An optional bound value: NULL when nil (spelled out so optionals bind without a warning).
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            fragments.append(.bind(PostgresBind(type: Value.postgresType, text: value?.postgresText)))
        }

        /// Another statement fragment, spliced in with its binds.
        public mutating func appendInterpolation(_ sql: SQL) {
            fragments += sql.fragments
        }

        /// Raw text: identifiers and keywords chosen by code, never user input.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            fragments.append(.text(text))
        }
    }
}
