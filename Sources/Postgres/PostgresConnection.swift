import CLibPQ
import Dispatch
import Foundation
import Glibc
import Synchronization

/// One PostgreSQL session, driven one of two ways:
///
/// - **on an event loop** (`bind(to:)`, done by the pool for connections opened on one of the
///   HTTP server's loops): the socket is non-blocking and watched by that loop. A statement
///   issued on the loop is sent at once; the loop reads the answer when the socket becomes
///   readable and resumes the caller, which runs on the same loop. No thread waits.
/// - **on its own worker thread** otherwise (CLI commands, workers, COPY): each statement waits
///   there (`PostgresWorkerThread`), never on Swift's cooperative pool (STYLE.md C11) nor on a
///   dispatch worker.
///
/// Most code does not hold a connection: it calls the pool, or receives one inside
/// `PostgresPool.withConnection` / `withTransaction`, and must not keep it past that scope.
public final class PostgresConnection: PostgresQueryable, @unchecked Sendable {
    // Invariant: `handle`, `cache` and `pending` are touched only by the one party driving the
    // session at the time: its loop's thread while bound (`state.loop != nil`), else `queue`.
    var handle: OpaquePointer?
    let queue: PostgresWorkerThread
    let configuration: PostgresConfiguration
    let state = Mutex(SessionState())
    var cache = PostgresStatementCache()
    /// The statement the loop is waiting on.
    var pending: PendingStatement?
    /// For `PQcancel` from any thread (libpq makes it safe to use concurrently with the session).
    private let cancelHandle: OpaquePointer?

    struct SessionState {
        var transactionDepth = 0
        var isBroken = false
        /// Set by the pool when it hands out an idle connection: the next statement first checks
        /// that the server did not close the session meanwhile (e.g. `pg_terminate_backend`).
        var needsLivenessCheck = false
        var isIdle = true
        /// A statement is on the wire: a cancellation then asks the server to stop it.
        var inFlight = false
        /// The loop driving the session, if it is bound to one.
        var loop: (any PostgresEventLoop)?
    }

    private init(handle: OpaquePointer, queue: PostgresWorkerThread, configuration: PostgresConfiguration) {
        self.handle = handle
        self.queue = queue
        self.configuration = configuration
        cancelHandle = PQgetCancel(handle)
    }

    deinit {
        queue.stop()
        if let handle { PQfinish(handle) }
        if let cancelHandle { PQfreeCancel(cancelHandle) }
    }

    /// Opens a connection. Fails with `.connectionFailed` naming the host and libpq's reason.
    public static func connect(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        let queue = PostgresWorkerThread(name: "hourglass.postgres.session")
        // Connecting blocks (DNS, TCP, authentication) and happens rarely: on a thread of its
        // own, so that it never waits for a dispatch worker when those are all busy (seen at
        // a test run's start: the pool's connects queued for seconds behind blocked workers).
        let box: PostgresConnectionHandle = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try openHandle(configuration) }) }
            thread.name = "hourglass.postgres.connect"
            thread.start()
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

    /// Consumes the pending liveness check, if any.
    func takeLivenessCheck() -> Bool {
        state.withLock { state in defer { state.needsLivenessCheck = false }; return state.needsLivenessCheck }
    }

    /// The loop the session is bound to, if any (the pool keeps idle sessions per loop).
    var boundLoop: ObjectIdentifier? { state.withLock { $0.loop.map { ObjectIdentifier($0) } } }

    // MARK: - Statements

    public func query(_ sql: SQL, timeout: Duration? = nil) async throws -> PostgresRows {
        // A cancelled task (a handler past its deadline) sends nothing more; transaction
        // control goes through `executeScript`, so its ROLLBACK still runs.
        try Task.checkCancellation()
        return try await run(text: sql.text, binds: sql.binds, timeout: timeout)
    }

    /// Runs one or more `;`-separated statements with the simple query protocol (no parameters):
    /// migration files, DDL. Returns the last statement's rows.
    @discardableResult
    public func executeScript(_ text: String, timeout: Duration? = nil) async throws -> PostgresRows {
        try await run(text: text, binds: nil, timeout: timeout)
    }

    private func run(text: String, binds: [PostgresBind]?, timeout: Duration?) async throws -> PostgresRows {
        let deadline = (timeout ?? configuration.defaultQueryTimeout).map { ContinuousClock.now + $0 }
        let counter = PostgresStatementCounter.current  // a task-local: read here, not on the loop or queue
        return try await withTaskCancellationHandler {
            if let loop = currentLoop() {
                return try await runOnLoop(loop, text: text, binds: binds, deadline: deadline, counter: counter)
            }
            return try await onQueue { try self.runBlocking(text: text, binds: binds, deadline: deadline, counter: counter) }
        } onCancel: {
            cancelInFlight()
        }
    }

    /// The loop driving this session. The loop may let go of it at any time (it stopped, or
    /// the server hung up): the loop path then finds no handle and fails cleanly.
    func currentLoop() -> (any PostgresEventLoop)? { state.withLock { $0.loop } }

    /// Asks the server to stop the statement in flight, if there is one. `PQcancel` opens a
    /// connection of its own, so it runs off the caller's thread.
    ///
    /// The request travels on a separate connection and may reach the server after this
    /// statement ended, cancelling whatever the session runs next: so a session that was sent
    /// a cancel is never lent again (the pool discards it when it comes back).
    private func cancelInFlight() {
        let inFlight = state.withLock { state -> Bool in
            if state.inFlight { state.isBroken = true }
            return state.inFlight
        }
        guard inFlight, let cancelHandle else { return }
        let box = PostgresConnectionHandle(pointer: cancelHandle)
        DispatchQueue.global().async {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(box.pointer, &buffer, Int32(buffer.count))
            withExtendedLifetime(self) {}
        }
    }

    func setInFlight(_ value: Bool) { state.withLock { $0.inFlight = value } }

    /// Closes the session. Further statements fail with `.connectionClosed`.
    public func close() async {
        if let loop = currentLoop() {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                loop.execute {
                    self.drop()
                    continuation.resume()
                }
            }
            return
        }
        _ = try? await onQueue { self.drop() }
    }

    func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    // MARK: - Shared by both paths

    /// The connection pointer, or `.connectionClosed`.
    func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection is closed")
        }
        return handle
    }

    func recordSessionStatus(_ connection: OpaquePointer) {
        let idle = PQtransactionStatus(connection) == PQTRANS_IDLE
        let bad = PQstatus(connection) == CONNECTION_BAD
        state.withLock {
            $0.isIdle = idle
            if bad { $0.isBroken = true }
        }
    }

    /// Whether the session is inside a transaction block (open or failed).
    func inTransactionBlock(_ connection: OpaquePointer) -> Bool {
        PQtransactionStatus(connection) != PQTRANS_IDLE
    }

    func markBroken() { state.withLock { $0.isBroken = true } }

    /// Closes the libpq session, on whichever side drives it.
    func drop() {
        let loop = state.withLock { state in defer { state.loop = nil }; return state.loop }
        if let loop, let handle { loop.deregister(fd: PQsocket(handle)) }
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
}

/// A libpq pointer crossing threads (the connect queue, a cancel request).
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
