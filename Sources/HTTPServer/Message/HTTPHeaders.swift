/// Header fields in arrival order. Names are stored lowercased (the parser lowercases them;
/// `add` does too), so lookups are plain comparisons.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    public var count: Int { fields.count }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public mutating func add(name: String, value: String) { fields.append((name.lowercased(), value)) }
    /// Appends a field whose name is already lowercase (the parser's fast path).
    mutating func addLowercased(name: String, value: String) { fields.append((name, value)) }

    /// Replaces every field called `name` with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
        fields.append((lower, value))
    }

    public mutating func remove(name: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name == lower }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.name == lower }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// The comma-separated tokens of every `name` field, lowercased and trimmed (`Connection`, `TE`...).
    public func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }.map {
            $0.trimmingASCIIWhitespace().lowercased()
        }.filter { !$0.isEmpty }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}

extension StringProtocol {
    /// Trims spaces and horizontal tabs (HTTP's OWS), nothing else.
    func trimmingASCIIWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
