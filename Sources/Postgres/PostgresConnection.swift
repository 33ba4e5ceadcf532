import CLibPQ
import Dispatch
import Foundation
import Glibc
import Synchronization

/// One PostgreSQL session. Every libpq call for it runs on its own serial dispatch queue, so
/// blocking network I/O never occupies a thread of Swift's cooperative pool (STYLE.md C11).
///
/// Most code does not hold a connection: it calls the pool, or receives one inside
/// `PostgresPool.withConnection` / `withTransaction`, and must not keep it past that scope.
public final class PostgresConnection: PostgresQueryable, @unchecked Sendable {
    // Invariant: `handle` is read and written only on `queue`.
    private var handle: OpaquePointer?
    private let queue: DispatchQueue
    let configuration: PostgresConfiguration
    private let state = Mutex(SessionState())

    struct SessionState {
        var transactionDepth = 0
        var isBroken = false
        /// Set by the pool when it hands out an idle connection: the next statement first checks
        /// that the server did not close the session meanwhile (e.g. `pg_terminate_backend`).
        var needsLivenessCheck = false
        var isIdle = true
    }

    private init(handle: OpaquePointer, queue: DispatchQueue, configuration: PostgresConfiguration) {
        self.handle = handle
        self.queue = queue
        self.configuration = configuration
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection. Fails with `.connectionFailed` naming the host and libpq's reason.
    public static func connect(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "hourglass.postgres.connection")
        let box: PostgresConnectionHandle = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try openHandle(configuration) })
            }
        }
        return PostgresConnection(handle: box.pointer, queue: queue, configuration: configuration)
    }

    static func openHandle(_ configuration: PostgresConfiguration) throws -> PostgresConnectionHandle {
        let parameters = configuration.connectionParameters
        let keys = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let keyPointers = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let connection = PQconnectdbParams(keyPointers, valuePointers, 1) else {
            throw PostgresError(code: .connectionFailed, message: "could not connect to PostgreSQL: out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = errorMessage(connection)
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, message: "could not connect to PostgreSQL: \(reason)")
        }
        // Server notices ("relation already exists, skipping") would go to stderr by default;
        // they are informational and never needed by callers.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        return PostgresConnectionHandle(pointer: connection)
    }

    // MARK: - State seen by the pool

    /// True once the session is unusable; the pool discards it.
    public var isBroken: Bool { state.withLock { $0.isBroken } }

    /// True when no transaction is open (the pool discards connections returned mid-transaction).
    var isIdle: Bool { state.withLock { $0.isIdle && $0.transactionDepth == 0 } }

    func requireLivenessCheck() { state.withLock { $0.needsLivenessCheck = true } }

    // MARK: - Statements

    public func query(_ sql: SQL, timeout: Duration? = nil) async throws -> PostgresRows {
        let text = sql.text
        let binds = sql.binds
        let deadline = (timeout ?? configuration.defaultQueryTimeout).map { ContinuousClock.now + $0 }
        return try await onQueue { try self.run(text: text, binds: binds, deadline: deadline) }
    }

    /// Runs one or more `;`-separated statements with the simple query protocol (no parameters):
    /// migration files, DDL. Returns the last statement's rows.
    @discardableResult
    public func executeScript(_ text: String, timeout: Duration? = nil) async throws -> PostgresRows {
        let deadline = (timeout ?? configuration.defaultQueryTimeout).map { ContinuousClock.now + $0 }
        return try await onQueue { try self.run(text: text, binds: nil, deadline: deadline) }
    }

    /// Closes the session. Further statements fail with `.connectionClosed`.
    public func close() async {
        _ = try? await onQueue { self.drop() }
    }

    func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    // MARK: - On the queue

    /// The connection pointer, or `.connectionClosed`. Call on `queue` only.
    func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection is closed")
        }
        return handle
    }

    /// Sends one statement (extended protocol when `binds` is non-nil) and collects its results.
    private func run(text: String, binds: [PostgresBind]?, deadline: ContinuousClock.Instant?) throws -> PostgresRows {
        let connection = try liveHandle()
        if state.withLock({ state in defer { state.needsLivenessCheck = false }; return state.needsLivenessCheck }) {
            try checkIdleSessionIsAlive(connection)
        }
        let sent: Int32
        if let binds {
            sent = try Self.sendQuery(connection, text: text, binds: binds)
        } else {
            sent = PQsendQuery(connection, text)
        }
        guard sent == 1 else { throw brokenConnectionError(connection) }
        return try collectResults(connection, deadline: deadline)
    }

    private static func sendQuery(_ connection: OpaquePointer, text: String, binds: [PostgresBind]) throws -> Int32 {
        for bind in binds where bind.text?.utf8.contains(0) == true {
            throw PostgresError(code: .invalidParameter, message: "a text parameter contains a NUL byte")
        }
        let types: [Oid] = binds.map { $0.type.rawValue }
        let values = binds.map { $0.text.map { strdup($0) } ?? nil }
        defer { values.forEach { free($0) } }
        let valuePointers = values.map { UnsafePointer($0) }
        return PQsendQueryParams(connection, text, Int32(binds.count), types, valuePointers, nil, nil, 0)
    }

    /// Waits for and gathers every result of the statement just sent. Keeps the first error
    /// (later results after an error are libpq's bookkeeping) or else the last result.
    func collectResults(_ connection: OpaquePointer, deadline: ContinuousClock.Instant?) throws -> PostgresRows {
        var kept: PostgresResult?
        var firstError: PostgresError?
        while true {
            while PQisBusy(connection) == 1 {
                try waitUntilReadable(connection, deadline: deadline)
                guard PQconsumeInput(connection) == 1 else { throw brokenConnectionError(connection) }
            }
            guard let result = PQgetResult(connection) else { break }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
                kept = PostgresResult(result)
            case PGRES_COPY_IN:
                // A COPY ... FROM STDIN sent through `query`: refuse it and let the server clean up.
                PQputCopyEnd(connection, "COPY FROM STDIN must go through copyFrom")
                PQclear(result)
            case PGRES_COPY_OUT:
                PQclear(result)
                firstError = firstError ?? PostgresError(code: .unexpectedResult, message: "COPY TO STDOUT is not supported")
                drainCopyOut(connection)
            default:
                firstError = firstError ?? Self.serverError(result, connection: connection)
                PQclear(result)
            }
        }
        recordSessionStatus(connection)
        if let firstError {
            if firstError.isConnectionFailure { markBroken() }
            throw firstError
        }
        return PostgresRows(result: kept)
    }

    private func drainCopyOut(_ connection: OpaquePointer) {
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(connection, &buffer, 0) > 0 { PQfreemem(buffer) }
    }

    /// Polls the socket until readable. Past the deadline the session is dropped: the server may
    /// still be working, and a half-read response can never be resynchronised.
    func waitUntilReadable(_ connection: OpaquePointer, deadline: ContinuousClock.Instant?) throws {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        while true {
            var timeoutMs: Int32 = -1
            if let deadline {
                let remaining = deadline - .now
                if remaining <= .zero {
                    drop()
                    throw PostgresError(code: .queryTimeout, message: "no answer from PostgreSQL before the deadline")
                }
                timeoutMs = Int32(clamping: max(1, remaining.milliseconds))
            }
            let ready = poll(&descriptor, 1, timeoutMs)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw brokenConnectionError(connection) }
        }
    }

    /// An idle session must have nothing to read: data or EOF there means the server ended it
    /// (FATAL 57P01 after `pg_terminate_backend`, a restart...). Nothing was sent yet, so the
    /// pool can retry on a fresh connection.
    private func checkIdleSessionIsAlive(_ connection: OpaquePointer) throws {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 || PQstatus(connection) != CONNECTION_OK {
            drop()
            throw StaleConnectionError()
        }
    }

    private func recordSessionStatus(_ connection: OpaquePointer) {
        let idle = PQtransactionStatus(connection) == PQTRANS_IDLE
        let bad = PQstatus(connection) == CONNECTION_BAD
        state.withLock {
            $0.isIdle = idle
            if bad { $0.isBroken = true }
        }
    }

    func markBroken() { state.withLock { $0.isBroken = true } }

    /// Closes the libpq session; on `queue` only.
    func drop() {
        if let handle { PQfinish(handle) }
        handle = nil
        markBroken()
    }

    func brokenConnectionError(_ connection: OpaquePointer) -> PostgresError {
        let reason = Self.errorMessage(connection)
        markBroken()
        return PostgresError(code: .connectionClosed, message: "lost the connection to PostgreSQL: \(reason)")
    }

    static func errorMessage(_ connection: OpaquePointer) -> String {
        guard let message = PQerrorMessage(connection) else { return "unknown error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown error" : text.replacingOccurrences(of: "\n", with: "; ")
    }

    static func serverError(_ result: OpaquePointer, connection: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        guard let sqlState = field("C") else {
            return PostgresError(code: .connectionClosed, message: "lost the connection to PostgreSQL: \(errorMessage(connection))")
        }
        return .server(sqlState: sqlState, message: field("M") ?? "", detail: field("D"), hint: field("H"),
                       constraint: field("n"), schema: field("s"), table: field("t"), column: field("c"))
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: commit when it returns, roll back when it throws. Called
    /// inside another transaction it uses a savepoint instead (the isolation level is the outer one's).
    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel?, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let depth = state.withLock { state -> Int in
            state.transactionDepth += 1
            return state.transactionDepth - 1
        }
        defer { state.withLock { $0.transactionDepth -= 1 } }
        let savepoint = "hourglass_savepoint_\(depth)"
        if depth == 0 {
            try await executeScript("BEGIN" + (isolation.map { " ISOLATION LEVEL \($0.rawValue)" } ?? ""))
        } else {
            try await executeScript("SAVEPOINT \(savepoint)")
        }
        do {
            let result = try await body(self)
            try await executeScript(depth == 0 ? "COMMIT" : "RELEASE SAVEPOINT \(savepoint)")
            return result
        } catch {
            if !isBroken {
                // A failed rollback means a broken session; the pool then discards it.
                _ = try? await executeScript(
                    depth == 0 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT \(savepoint); RELEASE SAVEPOINT \(savepoint)")
            }
            throw error
        }
    }
}

/// The PGconn pointer crossing from the connect queue to the new connection object.
struct PostgresConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// A pooled session found dead before anything was sent on it; the pool retries elsewhere.
struct StaleConnectionError: Error {}

extension PostgresConnection {
    /// Closes the session in the background (for `defer` blocks, which cannot await).
    public func closeSoon() {
        Task { await close() }
    }
}
