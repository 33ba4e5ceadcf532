public import Foundation

// Text-format encoders and decoders for the Swift types the project stores.

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public var postgresText: String? { self?.postgresText }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws { self = try Wrapped(postgresCell: cell) }
    public static func postgresNull(columnName: String) throws -> Wrapped? { nil }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresText: String? { self ? "t" : "f" }
    public init(postgresCell cell: PostgresCell) throws {
        guard cell.type == .bool, cell.bytes.count == 1 else { throw cell.failure(Bool.self) }
        switch cell.bytes[0] {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: throw cell.failure(Bool.self)
        }
    }
}

/// Parses an optionally signed decimal integer without allocating.
func parseInteger<T: FixedWidthInteger & SignedInteger>(_ bytes: UnsafeBufferPointer<UInt8>, as _: T.Type) -> T? {
    var index = 0
    var negative = false
    if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
    guard index < bytes.count else { return nil }
    var value: T = 0
    while index < bytes.count {
        let digit = bytes[index] &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (next, overflow2) = negative
            ? shifted.subtractingReportingOverflow(T(digit)) : shifted.addingReportingOverflow(T(digit))
        guard !overflow1, !overflow2 else { return nil }
        value = next
        index += 1
    }
    return value
}

private let integerTypes: Set<PostgresType> = [.int2, .int4, .int8]

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String? { String(self) }
    public init(postgresCell cell: PostgresCell) throws {
        guard integerTypes.contains(cell.type), let value = parseInteger(cell.bytes, as: Int64.self)
        else { throw cell.failure(Int64.self) }
        self = value
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String? { String(self) }
    public init(postgresCell cell: PostgresCell) throws {
        guard integerTypes.contains(cell.type), let value = parseInteger(cell.bytes, as: Int.self)
        else { throw cell.failure(Int.self) }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int4 }
    public var postgresText: String? { String(self) }
    public init(postgresCell cell: PostgresCell) throws {
        guard integerTypes.contains(cell.type), let value = parseInteger(cell.bytes, as: Int32.self)
        else { throw cell.failure(Int32.self, "not an integer in range") }
        self = value
    }
}

extension Int16: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int2 }
    public var postgresText: String? { String(self) }
    public init(postgresCell cell: PostgresCell) throws {
        guard integerTypes.contains(cell.type), let value = parseInteger(cell.bytes, as: Int16.self)
        else { throw cell.failure(Int16.self, "not an integer in range") }
        self = value
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self)  // shortest round-tripping representation
    }
    public init(postgresCell cell: PostgresCell) throws {
        guard [.float4, .float8, .int2, .int4, .int8, .numeric].contains(cell.type) else { throw cell.failure(Double.self) }
        switch cell.string {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        case let text:
            guard let value = Double(text) else { throw cell.failure(Double.self) }
            self = value
        }
    }
}

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .text }
    public var postgresText: String? { self }
    /// Any column decodes as its text form; that is what the text protocol gives us.
    public init(postgresCell cell: PostgresCell) throws { self = cell.string }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresText: String? { uuidString.lowercased() }
    public init(postgresCell cell: PostgresCell) throws {
        guard cell.type == .uuid || cell.type == .text, let value = UUID(uuidString: cell.string)
        else { throw cell.failure(UUID.self) }
        self = value
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .timestamptz }
    public var postgresText: String? { PostgresTimestamp.format(self) }
    /// Reads `timestamptz` (the session time zone is UTC) and `timestamp` (taken as UTC).
    public init(postgresCell cell: PostgresCell) throws {
        guard cell.type == .timestamptz || cell.type == .timestamp, let value = PostgresTimestamp.parse(cell.bytes)
        else { throw cell.failure(Date.self) }
        self = value
    }
}

extension Data: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bytea }
    /// bytea hex format: `\x` followed by two hex digits per byte.
    public var postgresText: String? {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 + count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
    public init(postgresCell cell: PostgresCell) throws {
        let bytes = cell.bytes
        guard cell.type == .bytea, bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
              bytes.count % 2 == 0
        else { throw cell.failure(Data.self, "expected bytea in hex format") }
        var data = Data(capacity: (bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw cell.failure(Data.self, "bad hex digit")
            }
            data.append(high << 4 | low)
            index += 2
        }
        self = data
    }
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// A `jsonb` value kept as its JSON text, with helpers to go to and from `Codable` types.
public struct PostgresJSON: PostgresEncodable, PostgresDecodable, Hashable {
    public let text: String
    public init(text: String) { self.text = text }
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
    public static var postgresType: PostgresType { .jsonb }
    public var postgresText: String? { text }
    public init(postgresCell cell: PostgresCell) throws {
        guard cell.type == .jsonb || cell.type == .json else { throw cell.failure(PostgresJSON.self) }
        text = cell.string
    }
}

/// A `numeric` value as its exact decimal string (never a binary floating point number).
public struct PostgresNumeric: PostgresEncodable, PostgresDecodable, Hashable, CustomStringConvertible {
    public let decimalString: String

    /// Accepts `-?digits(.digits)?`; returns nil for anything else.
    public init?(_ decimalString: String) {
        let parts = decimalString.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return nil }
        var integer = parts[0]
        if integer.first == UInt8(ascii: "-") { integer = integer.dropFirst() }
        let digit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !integer.isEmpty, integer.allSatisfy(digit) else { return nil }
        if parts.count == 2 { guard !parts[1].isEmpty, parts[1].allSatisfy(digit) else { return nil } }
        self.decimalString = decimalString
    }
    public var description: String { decimalString }
    public static var postgresType: PostgresType { .numeric }
    public var postgresText: String? { decimalString }
    public init(postgresCell cell: PostgresCell) throws {
        guard cell.type == .numeric || integerTypes.contains(cell.type), let value = PostgresNumeric(cell.string)
        else { throw cell.failure(PostgresNumeric.self) }
        self = value
    }
}
