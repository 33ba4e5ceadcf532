import CLibPQ

extension PostgresConnection {
    /// Bulk-loads rows with `COPY ... FROM STDIN` (text format), e.g.
    /// `try await connection.copyFrom("COPY rating.factors (name, value) FROM STDIN", rows: [["age", 120]])`.
    /// Returns the number of rows copied. The statement must have no bound values.
    public func copyFrom(_ statement: SQL, rows: [[any PostgresEncodable]], timeout: Duration? = nil) async throws -> Int {
        precondition(statement.binds.isEmpty, "COPY takes no bound parameters; the rows carry the data")
        let text = statement.text
        let payload = try Self.copyText(rows)
        let deadline = (timeout ?? configuration.defaultQueryTimeout).map { ContinuousClock.now + $0 }
        await detachFromLoop()  // COPY is written with blocking calls, from the queue
        PostgresStatementCounter.current?.countStatement()
        return try await onQueue { try self.runCopy(text: text, payload: payload, deadline: deadline) }
    }

    /// Bulk-loads with `COPY ... FROM STDIN` from a producer, for inputs too big to hold in
    /// memory (a settlement report of a million lines): `produce` runs on the connection's own
    /// thread, returns the next piece of COPY text each time it is called, and nil at the end.
    /// Only one piece is in memory at a time. If `produce` throws, the COPY is abandoned (the
    /// server discards what it received) and that error is rethrown. Returns the rows copied.
    public func copyFrom(_ statement: SQL, timeout: Duration? = nil,
                         streaming produce: @escaping @Sendable () throws -> [UInt8]?) async throws -> Int {
        precondition(statement.binds.isEmpty, "COPY takes no bound parameters; the rows carry the data")
        let text = statement.text
        let deadline = (timeout ?? configuration.defaultQueryTimeout).map { ContinuousClock.now + $0 }
        await detachFromLoop()
        PostgresStatementCounter.current?.countStatement()
        return try await onQueue { try self.runCopy(text: text, deadline: deadline, produce: produce) }
    }

    /// COPY text format: tab-separated columns, newline-terminated rows, `\N` for NULL and
    /// backslash escapes for backslash, tab, newline and carriage return.
    static func copyText(_ rows: [[any PostgresEncodable]]) throws -> [UInt8] {
        var out = [UInt8]()
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { out.append(UInt8(ascii: "\t")) }
                guard let text = value.postgresText else {
                    out.append(contentsOf: "\\N".utf8)
                    continue
                }
                for byte in text.utf8 {
                    switch byte {
                    case 0: throw PostgresError(code: .invalidParameter, message: "a COPY value contains a NUL byte")
                    case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
                    case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
                    case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
                    case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
                    default: out.append(byte)
                    }
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private func runCopy(text: String, payload: [UInt8], deadline: ContinuousClock.Instant?) throws -> Int {
        var sent = false
        return try runCopy(text: text, deadline: deadline) {
            guard !sent else { return nil }
            sent = true
            return payload
        }
    }

    private func runCopy(text: String, deadline: ContinuousClock.Instant?, produce: () throws -> [UInt8]?) throws -> Int {
        let connection = try liveHandle()
        if PQisnonblocking(connection) == 1 { PQsetnonblocking(connection, 0) }  // see runBlocking
        guard PQsendQuery(connection, text) == 1 else { throw brokenConnectionError(connection) }
        while PQisBusy(connection) == 1 {
            try waitUntilReadable(connection, deadline: deadline)
            guard PQconsumeInput(connection) == 1 else { throw brokenConnectionError(connection) }
        }
        guard let start = PQgetResult(connection) else {
            throw PostgresError(code: .unexpectedResult, message: "COPY produced no result")
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let error = PQresultStatus(start) == PGRES_FATAL_ERROR
                ? Self.serverError(start, connection: connection)
                : PostgresError(code: .unexpectedResult, message: "the statement is not COPY ... FROM STDIN")
            PQclear(start)
            _ = try? collectResults(connection, deadline: deadline)
            throw error
        }
        PQclear(start)
        // The connection is in blocking mode: each call writes everything or fails.
        let chunkSize = 64 * 1024
        do {
            while let piece = try produce() {
                var offset = 0
                while offset < piece.count {
                    let end = min(offset + chunkSize, piece.count)
                    let sent = piece[offset..<end].withUnsafeBufferPointer { buffer in
                        buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
                    }
                    guard sent == 1 else { throw brokenConnectionError(connection) }
                    offset = end
                }
            }
        } catch {
            // Abandon the COPY: the server answers with an error, which we drain and replace
            // with the producer's own (the reason the input was refused).
            if PQputCopyEnd(connection, "the input was refused by the client") == 1 {
                _ = try? collectResults(connection, deadline: deadline)
            }
            throw error
        }
        guard PQputCopyEnd(connection, nil) == 1 else { throw brokenConnectionError(connection) }
        return try collectResults(connection, deadline: deadline).affectedRows
    }
}
