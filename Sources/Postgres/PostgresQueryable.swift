/// Something statements can be sent to: the pool (each statement on any free connection) or
/// one connection (inside `withConnection` / `withTransaction`). Stores take `any PostgresQueryable`
/// so the same code runs inside or outside a caller's transaction.
public protocol PostgresQueryable: Sendable {
    /// Runs one statement; `timeout` is a client-side deadline (nil: the configured default).
    func query(_ sql: SQL, timeout: Duration?) async throws -> PostgresRows

    /// Runs `body` in one transaction (a savepoint when already inside one).
    func withTransaction<T>(isolation: IsolationLevel?, _ body: (PostgresConnection) async throws -> T) async throws -> T
}

extension PostgresQueryable {
    public func query(_ sql: SQL) async throws -> PostgresRows { try await query(sql, timeout: nil) }

    /// Runs a statement for its effect; returns the affected row count.
    @discardableResult
    public func execute(_ sql: SQL) async throws -> Int { try await query(sql, timeout: nil).affectedRows }

    /// Decodes every row.
    public func queryAll<T>(_ sql: SQL, decode: (PostgresRow) throws -> T) async throws -> [T] {
        try await query(sql, timeout: nil).map(decode)
    }

    /// Decodes zero or one row; more than one is `.unexpectedResult`.
    public func queryOptional<T>(_ sql: SQL, decode: (PostgresRow) throws -> T) async throws -> T? {
        let rows = try await query(sql, timeout: nil)
        guard rows.count <= 1 else {
            throw PostgresError(code: .unexpectedResult, message: "expected at most one row, got \(rows.count)")
        }
        return try rows.first.map(decode)
    }

    /// Decodes exactly one row; none or several is `.unexpectedResult`.
    public func queryOne<T>(_ sql: SQL, decode: (PostgresRow) throws -> T) async throws -> T {
        let rows = try await query(sql, timeout: nil)
        guard rows.count == 1 else {
            throw PostgresError(code: .unexpectedResult, message: "expected exactly one row, got \(rows.count)")
        }
        return try decode(rows[0])
    }

    /// The first column of exactly one row.
    public func queryValue<T: PostgresDecodable>(_ sql: SQL, as type: T.Type = T.self) async throws -> T {
        try await queryOne(sql) { try $0.decode(type, at: 0) }
    }

    @discardableResult
    public func withTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withTransaction(isolation: nil, body)
    }
}
