import Synchronization

/// A bounded pool of connections.
///
/// - `acquireTimeout` bounds every wait for a connection: a saturated or unreachable database
///   gives `.poolTimeout` (or the connect error), never a hang.
/// - A connection that broke, or was returned mid-transaction, is closed and its slot reused.
/// - An idle connection the server closed meanwhile (`pg_terminate_backend`, a restart) is found
///   before the first statement is sent on it and replaced transparently.
/// - With event loops attached (`attach(eventLoops:)`, done by the HTTP server), a connection
///   opened from a loop is driven by that loop, and a task on a loop is lent one of that loop's
///   idle connections first: a handler's statements then never leave its thread.
public final class PostgresPool: PostgresQueryable, Sendable {
    public struct Options: Sendable {
        public var maxConnections: Int
        public var acquireTimeout: Duration
        public init(maxConnections: Int = 10, acquireTimeout: Duration = .seconds(5)) {
            precondition(maxConnections > 0, "a pool needs at least one connection")
            self.maxConnections = maxConnections
            self.acquireTimeout = acquireTimeout
        }
    }

    public struct Statistics: Sendable, Equatable {
        /// Connections open or being opened.
        public let open: Int
        public let idle: Int
        public let waiting: Int
        /// Connections taken by a task that already held one (of any pool). Under load every
        /// holder can end up waiting for a second connection that never frees: code must pass
        /// its transaction down instead. Stays 0 in a healthy process.
        public let nestedAcquisitions: Int
    }

    /// True inside `withConnection`, for this task and its children.
    @TaskLocal static var holdingConnection = false
    private let nested = Atomic<Int>(0)

    public let configuration: PostgresConfiguration
    public let options: Options
    private let state = Mutex(State())

    private struct Waiter {
        let id: Int
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<PostgresConnection, any Error>
    }

    private struct State {
        /// Idle connections, the most recently used last (so a busy pool reuses warm ones).
        var idle: [PostgresConnection] = []
        var loops: [any PostgresEventLoop] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var sweeperRunning = false
        var closed = false
    }

    public init(configuration: PostgresConfiguration, options: Options = Options()) {
        self.configuration = configuration
        self.options = options
    }

    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count,
                                    nestedAcquisitions: nested.load(ordering: .relaxed)) }
    }

    // MARK: - Using connections

    /// Lends a connection for the duration of `body`. Do not keep it afterwards.
    public func withConnection<T>(
        timeout: Duration? = nil, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + min(timeout ?? options.acquireTimeout, options.acquireTimeout)
        if Self.holdingConnection { nested.add(1, ordering: .relaxed) }
        // Each stale connection found costs one retry; a pool's worth of them means the server
        // restarted, and a fresh connection is then opened for the last try.
        for _ in 0...options.maxConnections {
            let connection = try await acquire(deadline: deadline)
            // A connection opened before the loops were attached (at start-up) joins the
            // loop that first uses it.
            if connection.boundLoop == nil, let loop = loopHere() { await connection.bind(to: loop) }
            do {
                let result = try await Self.$holdingConnection.withValue(true) { try await body(connection) }
                release(connection)
                return result
            } catch is StaleConnectionError {
                release(connection)
                continue
            } catch {
                release(connection)
                throw error
            }
        }
        throw PostgresError(code: .connectionClosed, message: "every pooled connection had been closed by the server")
    }

    public func query(_ sql: SQL, timeout: Duration?) async throws -> PostgresRows {
        let start = ContinuousClock.now
        return try await withConnection(timeout: timeout) { connection in
            let remaining = timeout.map { $0 - (ContinuousClock.now - start) }
            if let remaining, remaining <= .zero {
                throw PostgresError(code: .queryTimeout, message: "no time left for the statement after waiting for a connection")
            }
            return try await connection.query(sql, timeout: remaining)
        }
    }

    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel?, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withTransaction(isolation: isolation, maxAttempts: 3, body)
    }

    /// Runs `body` in a transaction on one connection, retrying the whole transaction up to
    /// `maxAttempts` times on serialization failures (40001) and deadlocks (40P01), with jittered
    /// backoff. `body` must therefore have no effects outside the database.
    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel?, maxAttempts: Int, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.withTransaction(isolation: isolation, body)
                }
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < maxAttempts {
                let backoffMs = Int.random(in: 5...25) * attempt
                try await Task.sleep(for: .milliseconds(backoffMs))
                attempt += 1
            }
        }
    }

    /// Closes idle connections now and busy ones when they come back; waiters fail with `.poolClosed`.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            state.open -= state.idle.count
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError) }
        for connection in idle { await connection.close() }
    }

    // MARK: - Event loops

    /// Lets `loops` drive this pool's connections (see the type's notes). Connections opened
    /// from then on are bound to a loop; those already open stay on their queues.
    public func attach(eventLoops loops: [any PostgresEventLoop]) {
        state.withLock { $0.loops += loops }
    }

    /// Stops binding new connections to `loops` (they are stopping; their connections end with them).
    public func detach(eventLoops loops: [any PostgresEventLoop]) {
        let gone = Set(loops.map { ObjectIdentifier($0) })
        state.withLock { $0.loops.removeAll { gone.contains(ObjectIdentifier($0)) } }
    }

    /// The attached loop whose thread this is, if any.
    private func loopHere() -> (any PostgresEventLoop)? {
        state.withLock { state in state.loops.first { $0.inEventLoop } }
    }

    // MARK: - Acquire and release

    private enum AcquireAction {
        case use(PostgresConnection)
        case fail(PostgresError)
        case wait(openNew: Bool, on: (any PostgresEventLoop)?, startSweeper: Bool)
    }

    private static let closedError = PostgresError(code: .poolClosed, message: "the connection pool is closed")

    private func acquire(deadline: ContinuousClock.Instant) async throws -> PostgresConnection {
        try Task.checkCancellation()
        let waiterID = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (action, discarded) = state.withLock { state -> (AcquireAction, [PostgresConnection]) in
                    if state.closed { return (.fail(Self.closedError), []) }
                    // The loop of the calling thread, if it is one of ours: its own idle
                    // connections first, so that the statements stay on this thread.
                    let here = state.loops.first { $0.inEventLoop }.map { ObjectIdentifier($0) }
                    var discarded: [PostgresConnection] = []
                    while let index = Self.pick(state.idle, on: here) {
                        let connection = state.idle.remove(at: index)
                        if connection.isBroken {
                            // The server hung up on it while idle (its loop saw the EOF).
                            state.open -= 1
                            discarded.append(connection)
                            continue
                        }
                        return (.use(connection), discarded)
                    }
                    state.waiters.append(Waiter(id: waiterID, deadline: deadline, continuation: continuation))
                    let openNew = state.open < options.maxConnections
                    if openNew { state.open += 1 }
                    let startSweeper = !state.sweeperRunning
                    state.sweeperRunning = true
                    let loop = openNew ? state.loops.first { $0.inEventLoop } : nil
                    return (.wait(openNew: openNew, on: loop, startSweeper: startSweeper), discarded)
                }
                for connection in discarded { Task { await connection.close() } }
                switch action {
                case .use(let connection):
                    connection.requireLivenessCheck()
                    continuation.resume(returning: connection)
                case .fail(let error):
                    continuation.resume(throwing: error)
                case .wait(let openNew, let loop, let startSweeper):
                    if openNew { openConnection(on: loop) }
                    if startSweeper { startTimeoutSweeper() }
                }
            }
        } onCancel: {
            // A cancelled task (its handler timed out) stops waiting at once.
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// The idle connection to lend: the newest bound to `loop`, else the newest of any.
    private static func pick(_ idle: [PostgresConnection], on loop: ObjectIdentifier?) -> Int? {
        if let loop, let index = idle.lastIndex(where: { $0.boundLoop == loop }) { return index }
        return idle.indices.last
    }

    /// Takes a connection back: hands it to the oldest waiter, parks it, or discards it.
    private func release(_ connection: PostgresConnection) {
        let reusable = !connection.isBroken && connection.isIdle
        enum ReleaseAction { case handOff(Waiter), park, discard(openReplacement: Bool) }
        let action = state.withLock { state -> ReleaseAction in
            if state.closed || !reusable {
                state.open -= 1
                guard !state.closed, !state.waiters.isEmpty else { return .discard(openReplacement: false) }
                state.open += 1
                return .discard(openReplacement: true)
            }
            if !state.waiters.isEmpty { return .handOff(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .park
        }
        switch action {
        case .handOff(let waiter):
            waiter.continuation.resume(returning: connection)
        case .park:
            break
        case .discard(let openReplacement):
            if openReplacement { openConnection(on: nil) }
            // Closing may block briefly on the socket; it happens on the connection's own queue.
            Task { await connection.close() }
        }
    }

    /// Opens one connection (its slot is already counted in `open`), binds it to `loop` (the
    /// loop of the task that needed it), and gives it to the oldest waiter. If opening fails,
    /// that waiter gets the error at once rather than a timeout later.
    private func openConnection(on loop: (any PostgresEventLoop)?) {
        let configuration = configuration
        Task {
            do {
                let connection = try await PostgresConnection.connect(configuration)
                if let loop { await connection.bind(to: loop) }
                self.release(connection)
            } catch {
                let waiter = self.state.withLock { state -> Waiter? in
                    state.open -= 1
                    return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
                }
                waiter?.continuation.resume(throwing: error)
            }
        }
    }

    /// While anyone waits, fails waiters whose deadline passed (one task per pool, not per wait).
    private func startTimeoutSweeper() {
        Task {
            var stop = false
            while !stop {
                try? await Task.sleep(for: .milliseconds(20))
                let now = ContinuousClock.now
                let (expired, picture) = state.withLock { state -> ([Waiter], String) in
                    let expired = state.waiters.filter { $0.deadline <= now }
                    if !expired.isEmpty { state.waiters.removeAll { $0.deadline <= now } }
                    if state.waiters.isEmpty {
                        state.sweeperRunning = false
                        stop = true
                    }
                    return (expired, "\(state.open) open, \(state.idle.count) idle, \(state.waiters.count + expired.count) waiting")
                }
                // The pool's state says which kind of trouble it is: every connection busy
                // (slow or stuck holders), or connections not opening (the server refusing).
                let timeout = PostgresError(code: .poolTimeout, message: "no database connection became free in time (\(picture))")
                for waiter in expired { waiter.continuation.resume(throwing: timeout) }
            }
        }
    }
}
