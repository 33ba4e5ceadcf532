public import Foundation

/// An element type of a one-dimensional array parameter or column (`text[]`, `int8[]`, `uuid[]`...).
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    static var postgresArrayType: PostgresType { get }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresType { .textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int4Array } }
extension Int16: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int2Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayType: PostgresType { .boolArray } }
extension UUID: PostgresArrayElement { public static var postgresArrayType: PostgresType { .uuidArray } }

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    /// Every element is double-quoted with `\` and `"` escaped, so no element text needs care.
    public var postgresText: String? {
        var out = "{"
        for (index, element) in enumerated() {
            if index > 0 { out += "," }
            guard let text = element.postgresText else { out += "NULL"; continue }
            out += "\""
            for character in text.unicodeScalars {
                if character == "\\" || character == "\"" { out += "\\" }
                out.unicodeScalars.append(character)
            }
            out += "\""
        }
        return out + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public init(postgresCell cell: PostgresCell) throws {
        let elementType = PostgresArrayText.elementType(of: cell.type)
        guard let elementType else { throw cell.failure([Element].self, "not a supported array type") }
        guard let items = PostgresArrayText.split(cell.bytes) else {
            throw cell.failure([Element].self, "malformed or multi-dimensional array")
        }
        self = try items.map { item -> Element in
            guard let item else { return try Element.postgresNull(columnName: cell.columnName) }
            return try item.withUnsafeBufferPointer { buffer in
                try Element(postgresCell: PostgresCell(type: elementType, bytes: buffer, columnName: cell.columnName))
            }
        }
    }
}

/// The array text format: `{a,"b c",NULL}`.
enum PostgresArrayText {
    static func elementType(of arrayType: PostgresType) -> PostgresType? {
        switch arrayType {
        case .textArray: .text
        case .varcharArray: .varchar
        case .int8Array: .int8
        case .int4Array: .int4
        case .int2Array: .int2
        case .boolArray: .bool
        case .uuidArray: .uuid
        default: nil
        }
    }

    /// Splits a one-dimensional array literal into element byte strings (nil for NULL).
    static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]?]? {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        var items = [[UInt8]?]()
        var index = 1
        let end = bytes.count - 1
        if index == end { return items }
        while index <= end {
            var item = [UInt8]()
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while true {
                    guard index < end else { return nil }
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") { index += 1; break }
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                        guard index < end else { return nil }
                    }
                    item.append(bytes[index])
                    index += 1
                }
                items.append(item)
            } else {
                while index < end, bytes[index] != UInt8(ascii: ",") {
                    if bytes[index] == UInt8(ascii: "{") { return nil }  // nested: multi-dimensional
                    item.append(bytes[index])
                    index += 1
                }
                guard !item.isEmpty else { return nil }
                items.append(item == Array("NULL".utf8) ? nil : item)
            }
            if index == end { break }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        return items
    }
}

/// Arrays with NULL elements decode into `[T?]`.
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { Wrapped.postgresArrayType }
}
