import CLibPQ

/// Owns a libpq `PGresult`. Immutable after creation; libpq allows reading it from any thread.
final class PostgresResult: @unchecked Sendable {
    let handle: OpaquePointer
    let rowCount: Int
    let columnCount: Int
    let columnNames: [String]
    let columnTypes: [PostgresType]
    /// Rows affected, from the command tag (`INSERT 0 3` → 3); 0 when the command has none.
    let affectedRows: Int

    init(_ handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
        columnNames = (0..<Int32(columnCount)).map { String(cString: PQfname(handle, $0)) }
        columnTypes = (0..<Int32(columnCount)).map { PostgresType(rawValue: PQftype(handle, $0)) }
        affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    deinit { PQclear(handle) }
}

/// The rows of a query result, decoded on demand.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let result: PostgresResult?

    init(result: PostgresResult?) { self.result = result }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result?.rowCount ?? 0 }
    public subscript(position: Int) -> PostgresRow {
        precondition(indices.contains(position), "row \(position) out of range")
        return PostgresRow(result: result!, index: position)
    }

    /// Rows affected by an INSERT/UPDATE/DELETE/COPY, from the command tag.
    public var affectedRows: Int { result?.affectedRows ?? 0 }
    public var columnNames: [String] { result?.columnNames ?? [] }

    /// Decodes every row with `decode` (pgx's `CollectRows`).
    public func decode<T>(_ decode: (PostgresRow) throws -> T) throws -> [T] { try map(decode) }
}

/// One row; decode columns by position or by name.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int

    public var columnCount: Int { result.columnCount }

    public func isNull(at column: Int) -> Bool { PQgetisnull(result.handle, Int32(index), Int32(column)) == 1 }

    /// Decodes column `column` (0-based) as `type`; NULL decodes only into an `Optional`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard column >= 0, column < result.columnCount else {
            throw PostgresError(code: .decoding, message: "column index \(column) out of range (\(result.columnCount) columns)")
        }
        let name = result.columnNames[column]
        if isNull(at: column) { return try T.postgresNull(columnName: name) }
        let row = Int32(index), field = Int32(column)
        let length = Int(PQgetlength(result.handle, row, field))
        let bytes = PQgetvalue(result.handle, row, field)!
        return try bytes.withMemoryRebound(to: UInt8.self, capacity: length) { pointer in
            try T(postgresCell: PostgresCell(type: result.columnTypes[column],
                                             bytes: UnsafeBufferPointer(start: pointer, count: length),
                                             columnName: name))
        }
    }

    /// Decodes the column called `name`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column name: String) throws -> T {
        guard let column = result.columnNames.firstIndex(of: name) else {
            throw PostgresError(code: .decoding, message: "no column named \"\(name)\"")
        }
        return try decode(type, at: column)
    }
}
