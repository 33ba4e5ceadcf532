public import Foundation

/// Writes `Encodable` values as the API's JSON, with the rules in one place (PRODUCT.md, REST):
///
/// - keys in snake_case, sorted, so responses are stable byte for byte;
/// - an optional that is `nil` is written as `null`: every documented field is present, also
///   from synthesized `Encodable` conformances (which call `encodeIfPresent`);
/// - ids (UUIDs) lower case, everywhere;
/// - instants as RFC 3339 in whole seconds with `Z` (`RFC3339.format`), one form for every
///   timestamp;
/// - no Foundation `JSONEncoder`: a small tree encoder is faster on the hot routes.
public enum JSONWriter {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = Node()
        try Node.encode(value, into: root, codingPath: [])
        var output: [UInt8] = []
        output.reserveCapacity(256)
        root.write(into: &output)
        return output
    }

    /// `validUntil` → `valid_until`, `redirectURL` → `redirect_url` (acronyms kept together, as
    /// Foundation's `convertToSnakeCase` does).
    public static func snakeCase(_ key: String) -> String {
        if let ascii = asciiSnakeCase(key) { return ascii }
        guard key.contains(where: \.isUppercase) else { return key }
        let characters = Array(key)
        var out = ""
        out.reserveCapacity(key.count + 4)
        for (index, character) in characters.enumerated() {
            if character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A word starts at an upper-case letter after a lower-case one or a digit, or at
                // the last capital of an acronym followed by lower case ("URLPath" → "url_path").
                let startsWord = index > 0 && previous != "_"
                    && ((previous?.isLowercase ?? false) || (previous?.isNumber ?? false)
                        || ((previous?.isUppercase ?? false) && (next?.isLowercase ?? false)))
                if startsWord { out.append("_") }
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// `snakeCase` over bytes, for the ASCII keys every response is made of (the Unicode
    /// character properties of the general path showed in profiles of hot responses). Nil for
    /// a key with non-ASCII bytes.
    static func asciiSnakeCase(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
        func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        guard bytes.contains(where: isUpper) else { return key }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 4)
        for (index, byte) in bytes.enumerated() {
            guard isUpper(byte) else {
                out.append(byte)
                continue
            }
            if index > 0 {
                let previous = bytes[index - 1]
                let next: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
                let startsWord = previous != UInt8(ascii: "_")
                    && (isLower(previous) || isDigit(previous) || (isUpper(previous) && next.map(isLower) == true))
                if startsWord { out.append(UInt8(ascii: "_")) }
            }
            out.append(byte + 0x20)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One value of the tree being encoded. A class: containers nest and write into it later.
final class Node {
    enum Value {
        case unset, null, bool(Bool), number(String), string(String), array([Node]), object([String: Node])
    }
    var value: Value = .unset

    static func encode<T: Encodable>(_ value: T, into node: Node, codingPath: [any CodingKey]) throws {
        switch value {
        case let date as Date: node.value = .string(RFC3339.format(date))
        case let id as UUID: node.value = .string(id.uuidString.lowercased())
        case let url as URL: node.value = .string(url.absoluteString)
        case let data as Data: node.value = .string(data.base64EncodedString())
        default: try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
        }
    }

    func write(into out: inout [UInt8]) {
        switch value {
        case .unset, .null: out += [0x6E, 0x75, 0x6C, 0x6C]  // null
        case .bool(let flag): out += flag ? Array("true".utf8) : Array("false".utf8)
        case .number(let text): out += text.utf8
        case .string(let text): Node.writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Node.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// RFC 8259 §7: quote, backslash and control characters escaped; everything else as UTF-8.
    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func number<T: BinaryInteger>(_ value: T) -> Value { .number(String(value)) }

    static func number(_ value: Double) throws -> Value {
        guard value.isFinite else { throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a finite number")) }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number(String(value))
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.value {} else { node.value = .object([:]) }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.value {} else { node.value = .array([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]
    /// A `Dictionary`'s keys are data, not property names: they are written as they are.
    private static var isDictionary: Bool { String(describing: Key.self) == "_DictionaryCodingKey" }

    private func child(_ key: Key) -> Node {
        let child = Node()
        guard case .object(var members) = node.value else { return child }
        members[Self.isDictionary ? key.stringValue : JSONWriter.snakeCase(key.stringValue)] = child
        node.value = .object(members)
        return child
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).value = .null }
    mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).value = .bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { child(key).value = .string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { child(key).value = try Node.number(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { child(key).value = try Node.number(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { child(key).value = Node.number(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try Node.encode(value, into: child(key), codingPath: codingPath + [key])
    }

    // `nil` is written as null, never left out (synthesized conformances call these).
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try value.map { try encode($0, forKey: key) } ?? encodeNil(forKey: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: child(key), codingPath: codingPath + [key]) }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.value { return items.count }
        return 0
    }

    private func append() -> Node {
        let child = Node()
        if case .array(var items) = node.value {
            items.append(child)
            node.value = .array(items)
        }
        return child
    }

    mutating func encodeNil() throws { append().value = .null }
    mutating func encode(_ value: Bool) throws { append().value = .bool(value) }
    mutating func encode(_ value: String) throws { append().value = .string(value) }
    mutating func encode(_ value: Double) throws { append().value = try Node.number(value) }
    mutating func encode(_ value: Int) throws { append().value = Node.number(value) }
    mutating func encode(_ value: Int64) throws { append().value = Node.number(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try Node.encode(value, into: append(), codingPath: codingPath) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: append(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: append(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: append(), codingPath: codingPath) }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.value = .null }
    mutating func encode(_ value: Bool) throws { node.value = .bool(value) }
    mutating func encode(_ value: String) throws { node.value = .string(value) }
    mutating func encode(_ value: Double) throws { node.value = try Node.number(value) }
    mutating func encode(_ value: Float) throws { node.value = try Node.number(Double(value)) }
    mutating func encode(_ value: Int) throws { node.value = Node.number(value) }
    mutating func encode(_ value: Int8) throws { node.value = Node.number(value) }
    mutating func encode(_ value: Int16) throws { node.value = Node.number(value) }
    mutating func encode(_ value: Int32) throws { node.value = Node.number(value) }
    mutating func encode(_ value: Int64) throws { node.value = Node.number(value) }
    mutating func encode(_ value: UInt) throws { node.value = Node.number(value) }
    mutating func encode(_ value: UInt8) throws { node.value = Node.number(value) }
    mutating func encode(_ value: UInt16) throws { node.value = Node.number(value) }
    mutating func encode(_ value: UInt32) throws { node.value = Node.number(value) }
    mutating func encode(_ value: UInt64) throws { node.value = Node.number(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try Node.encode(value, into: node, codingPath: codingPath) }
}
