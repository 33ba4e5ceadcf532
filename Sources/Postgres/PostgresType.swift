/// A PostgreSQL type OID, as sent with bound parameters and reported for result columns.
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Lets the server infer the type from context.
    public static let unspecified = PostgresType(rawValue: 0)
    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let date = PostgresType(rawValue: 1082)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)
    public static let boolArray = PostgresType(rawValue: 1000)
    public static let int2Array = PostgresType(rawValue: 1005)
    public static let int4Array = PostgresType(rawValue: 1007)
    public static let textArray = PostgresType(rawValue: 1009)
    public static let varcharArray = PostgresType(rawValue: 1015)
    public static let int8Array = PostgresType(rawValue: 1016)
    public static let uuidArray = PostgresType(rawValue: 2951)

    public var description: String { "oid \(rawValue)" }
}

/// One bound parameter: its type and its text representation (`nil` is SQL NULL).
public struct PostgresBind: Sendable, Equatable {
    public let type: PostgresType
    public let text: String?
    public init(type: PostgresType, text: String?) {
        self.type = type
        self.text = text
    }
}

/// A Swift value that can be sent as a bound parameter.
public protocol PostgresEncodable: Sendable {
    /// The parameter type sent to the server.
    static var postgresType: PostgresType { get }
    /// The value in PostgreSQL's text input format; `nil` for NULL.
    var postgresText: String? { get }
}

/// A raw result cell handed to decoders: the column's type and its text-format bytes.
/// `bytes` points into the result and is valid only during the `init(postgresCell:)` call.
public struct PostgresCell {
    public let type: PostgresType
    public let bytes: UnsafeBufferPointer<UInt8>
    public let columnName: String

    init(type: PostgresType, bytes: UnsafeBufferPointer<UInt8>, columnName: String) {
        self.type = type
        self.bytes = bytes
        self.columnName = columnName
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public func failure(_ swiftType: Any.Type, _ reason: String = "") -> PostgresError {
        PostgresError(code: .decoding,
                      message: "cannot decode column \"\(columnName)\" (\(type)) as \(swiftType)"
                          + (reason.isEmpty ? "" : ": \(reason)"))
    }
}

/// A Swift type that can be read from a result column (text format).
public protocol PostgresDecodable {
    /// Decodes a non-NULL value.
    init(postgresCell cell: PostgresCell) throws
    /// The value for SQL NULL; throws for non-optional types.
    static func postgresNull(columnName: String) throws -> Self
}

extension PostgresDecodable {
    public static func postgresNull(columnName: String) throws -> Self {
        throw PostgresError(code: .decoding, message: "column \"\(columnName)\" is NULL but \(Self.self) is not optional")
    }
}
