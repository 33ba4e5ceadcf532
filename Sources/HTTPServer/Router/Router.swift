/// Maps a method and path to a value (a handler) with path parameters: `/v1/quotes/{id}`.
/// Generic over what it stores, so the server knows nothing of handlers or contexts.
/// Matching walks a segment tree; literal segments win over parameters.
public struct Router<Handler: Sendable>: Sendable {
    public enum Match {
        case found(Handler, parameters: Parameters, pattern: String)
        /// The path exists for other methods (answer 405 with `Allow`).
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    private final class Node: @unchecked Sendable {
        // Mutated only while routes are added, before the router is shared.
        var literals: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var handlers: [HTTPMethod: (handler: Handler, pattern: String)] = [:]
    }

    private let root = Node()

    public init() {}

    /// Adds a route. Registering one method and pattern twice is a programming error.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) {
        var node = root
        for segment in Self.segments(of: pattern) {
            if segment.hasPrefix("{"), segment.hasSuffix("}") {
                let name = String(segment.dropFirst().dropLast())
                if let existing = node.parameter {
                    precondition(existing.name == name, "route \(pattern): parameter {\(name)} clashes with {\(existing.name)}")
                    node = existing.node
                } else {
                    let child = Node()
                    node.parameter = (name, child)
                    node = child
                }
            } else {
                if let child = node.literals[segment] {
                    node = child
                } else {
                    let child = Node()
                    node.literals[segment] = child
                    node = child
                }
            }
        }
        precondition(node.handlers[method] == nil, "route \(method.rawValue) \(pattern) registered twice")
        node.handlers[method] = (handler, pattern)
    }

    /// Finds the route for a request. HEAD falls back to GET (RFC 9110 §9.3.2).
    public func match(_ method: HTTPMethod, path: String) -> Match {
        var node = root
        var parameters = Parameters()
        for segment in Self.segments(of: path) {
            if let child = node.literals[segment] {
                node = child
            } else if let (name, child) = node.parameter, let value = segment.removingPercentEncoding, !value.isEmpty {
                parameters.values.append((name, value))
                node = child
            } else {
                return .notFound
            }
        }
        if let route = node.handlers[method] ?? (method == .head ? node.handlers[.get] : nil) {
            return .found(route.handler, parameters: parameters, pattern: route.pattern)
        }
        if node.handlers.isEmpty { return .notFound }
        var allowed = Set(node.handlers.keys)
        if allowed.contains(.get) { allowed.insert(.head) }
        return .methodNotAllowed(allowed: HTTPMethod.allCases.filter(allowed.contains))
    }

    /// Every registered route, for documentation checks (e.g. the OpenAPI test).
    public var routes: [(method: HTTPMethod, pattern: String)] { entries.map { ($0.method, $0.pattern) } }

    /// Every registered route with what it leads to, sorted by pattern then method.
    public var entries: [(method: HTTPMethod, pattern: String, handler: Handler)] {
        var found: [(HTTPMethod, String, Handler)] = []
        func visit(_ node: Node) {
            for (method, route) in node.handlers { found.append((method, route.pattern, route.handler)) }
            for child in node.literals.values { visit(child) }
            if let parameter = node.parameter { visit(parameter.node) }
        }
        visit(root)
        return found.sorted { ($0.1, $0.0.rawValue) < ($1.1, $1.0.rawValue) }
    }

    private static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
    }
}

/// Path parameters of a matched route, already percent-decoded.
public struct Parameters: Sendable {
    public var values: [(name: String, value: String)] = []
    public init() {}

    public subscript(name: String) -> String? { values.first { $0.name == name }?.value }
}

extension String {
    /// Decodes `%XX` escapes; nil when an escape is malformed or the result is not UTF-8.
    var removingPercentEncoding: String? {
        guard utf8.contains(UInt8(ascii: "%")) else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexDigit), let low = iterator.next().flatMap(hexDigit) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

private func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: byte - 48
    case 97...102: byte - 87
    case 65...70: byte - 55
    default: nil
    }
}
