import CLibPQ
import Glibc

/// The queue path: a statement sent and waited for on the connection's own dispatch thread.
extension PostgresConnection {
    /// Sends one statement and collects its results; on `queue` only.
    func runBlocking(text: String, binds: [PostgresBind]?, deadline: ContinuousClock.Instant?,
                     counter: PostgresStatementCounter?) throws -> PostgresRows {
        let isFirstUse = takeLivenessCheck()
        guard let connection = handle else {
            if isFirstUse { throw StaleConnectionError() }
            throw PostgresError(code: .connectionClosed, message: "the connection is closed")
        }
        if isFirstUse { try checkIdleSessionIsAlive(connection) }
        // A loop that just let go of the session may not have switched it back yet (that runs on
        // this queue too, but can be queued behind us): this path needs every write to finish.
        if PQisnonblocking(connection) == 1 { PQsetnonblocking(connection, 0) }
        let statement = PostgresStatement(text: text, binds: binds, cache: &cache,
                                          usesPreparedStatements: configuration.usesPreparedStatements)
        setInFlight(true)
        defer { setInFlight(false) }
        return try drive(statement, connection, deadline: deadline, counter: counter, sent: nil)
    }

    /// Takes over a statement the event loop was waiting on when it stopped: finishes sending
    /// it, collects what is left of its answer, and resumes its caller; on `queue` only.
    func finishOnQueue(_ pending: PendingStatement) {
        defer { setInFlight(false) }
        pending.continuation.resume(with: Result {
            guard let connection = handle else {
                throw PostgresError(code: .connectionClosed, message: "the connection is closed")
            }
            PQsetnonblocking(connection, 0)
            guard PQflush(connection) == 0 else { throw brokenConnectionError(connection) }
            return try drive(pending.statement, connection, deadline: pending.deadline, counter: pending.counter,
                             sent: pending.collector)
        })
    }

    /// Runs `statement`'s stages to the end. `sent` is the collector of a stage already sent.
    private func drive(_ statement: PostgresStatement, _ connection: OpaquePointer, deadline: ContinuousClock.Instant?,
                       counter: PostgresStatementCounter?, sent: PostgresResultCollector?) throws -> PostgresRows {
        var statement = statement
        var collector = sent
        while true {
            if collector == nil {
                if statement.countsAsStatement { counter?.countStatement() }
                guard try statement.send(connection) else { throw brokenConnectionError(connection) }
                collector = PostgresResultCollector()
            }
            let outcome = try collect(connection, deadline: deadline, into: &collector!)
            collector = nil
            switch statement.completed(outcome, cache: &cache, inTransactionBlock: inTransactionBlock(connection)) {
            case .sendAgain: continue
            case .finished(let result): return try result.get()
            }
        }
    }

    /// Waits for and gathers every result of the statement just sent.
    private func collect(_ connection: OpaquePointer, deadline: ContinuousClock.Instant?,
                         into collector: inout PostgresResultCollector) throws -> Result<PostgresRows, PostgresError> {
        while !collector.drain(connection) {
            try waitUntilReadable(connection, deadline: deadline)
            guard PQconsumeInput(connection) == 1 else { throw brokenConnectionError(connection) }
        }
        recordSessionStatus(connection)
        let outcome = collector.outcome
        if case .failure(let error) = outcome, error.isConnectionFailure { markBroken() }
        return outcome
    }

    /// `collect` for callers that want the rows or the error thrown (COPY).
    func collectResults(_ connection: OpaquePointer, deadline: ContinuousClock.Instant?) throws -> PostgresRows {
        var collector = PostgresResultCollector()
        return try collect(connection, deadline: deadline, into: &collector).get()
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
    func checkIdleSessionIsAlive(_ connection: OpaquePointer) throws {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 || PQstatus(connection) != CONNECTION_OK {
            drop()
            throw StaleConnectionError()
        }
    }
}
