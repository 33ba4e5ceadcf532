import Dispatch
import Synchronization
import CLibPQ
import Glibc

/// A statement the event loop is waiting on.
struct PendingStatement {
    var statement: PostgresStatement
    var collector = PostgresResultCollector()
    let deadline: ContinuousClock.Instant?
    let counter: PostgresStatementCounter?
    let continuation: CheckedContinuation<PostgresRows, any Error>
}

/// The event-loop path: the socket is non-blocking and watched by the loop, which sends each
/// statement, reads its answer as it arrives and resumes the caller.
extension PostgresConnection {
    /// Hands the session to `loop` (called by the pool right after opening it). If the loop is
    /// stopping, the session stays on its queue.
    func bind(to loop: any PostgresEventLoop) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                defer { continuation.resume() }
                guard let handle = self.handle, PQsetnonblocking(handle, 1) == 0 else { return }
                let registered = loop.register(fd: PQsocket(handle)) { events in self.handleLoopEvents(events) }
                guard registered else {
                    PQsetnonblocking(handle, 0)
                    return
                }
                self.state.withLock { $0.loop = loop }
            }
        }
    }

    /// Takes the session back from its loop, to be driven from the queue (COPY streams with
    /// blocking writes). Between statements only.
    func detachFromLoop() async {
        guard let loop = currentLoop() else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                if let handle = self.handle, self.currentLoop() != nil {
                    loop.deregister(fd: PQsocket(handle))
                    PQsetnonblocking(handle, 0)
                }
                self.state.withLock { $0.loop = nil }
                continuation.resume()
            }
        }
    }

    func runOnLoop(_ loop: any PostgresEventLoop, text: String, binds: [PostgresBind]?,
                   deadline: ContinuousClock.Instant?, counter: PostgresStatementCounter?) async throws -> PostgresRows {
        try await withCheckedThrowingContinuation { continuation in
            if loop.inEventLoop {
                start(text: text, binds: binds, deadline: deadline, counter: counter, continuation)
            } else {
                loop.execute { self.start(text: text, binds: binds, deadline: deadline, counter: counter, continuation) }
            }
        }
    }

    // MARK: - On the loop's thread

    private func start(text: String, binds: [PostgresBind]?, deadline: ContinuousClock.Instant?,
                       counter: PostgresStatementCounter?, _ continuation: CheckedContinuation<PostgresRows, any Error>) {
        guard currentLoop() != nil else {
            // The loop let go of the session meanwhile (it stopped): the queue takes over.
            queue.async {
                continuation.resume(with: Result { try self.runBlocking(text: text, binds: binds, deadline: deadline, counter: counter) })
            }
            return
        }
        let isFirstUse = takeLivenessCheck()
        guard let connection = handle else {
            continuation.resume(throwing: isFirstUse ? StaleConnectionError() as any Error
                                : PostgresError(code: .connectionClosed, message: "the connection is closed"))
            return
        }
        guard pending == nil else {
            continuation.resume(throwing: PostgresError(code: .unexpectedResult, message: "a statement is already in flight on this connection"))
            return
        }
        if isFirstUse {
            do { try checkIdleSessionIsAlive(connection) } catch {
                continuation.resume(throwing: error)
                return
            }
        }
        let statement = PostgresStatement(text: text, binds: binds, cache: &cache,
                                          usesPreparedStatements: configuration.usesPreparedStatements)
        pending = PendingStatement(statement: statement, deadline: deadline, counter: counter, continuation: continuation)
        setInFlight(true)
        sendPending(connection)
    }

    private func sendPending(_ connection: OpaquePointer) {
        guard let statement = pending?.statement else { return }
        if statement.countsAsStatement { pending?.counter?.countStatement() }
        do {
            guard try statement.send(connection) else {
                finishPending(.failure(brokenConnectionError(connection)), drop: true)
                return
            }
        } catch {
            finishPending(.failure(error), drop: false)
            return
        }
        flush(connection)
    }

    private func flush(_ connection: OpaquePointer) {
        switch PQflush(connection) {
        case 0: currentLoop()?.setWritableInterest(fd: PQsocket(connection), false)
        case 1: currentLoop()?.setWritableInterest(fd: PQsocket(connection), true)
        default: finishPending(.failure(brokenConnectionError(connection)), drop: true)
        }
    }

    private func handleLoopEvents(_ events: UInt32) {
        guard let connection = handle else { return }
        if events & PostgresLoopEvent.stopped != 0 {
            // The loop is going away (its server stopped): the session carries on from its
            // queue, including a statement in flight, for whoever holds it now or next.
            let inFlight = pending
            pending = nil
            state.withLock { $0.loop = nil }
            queue.async {
                if let inFlight {
                    self.finishOnQueue(inFlight)
                } else if let handle = self.handle, self.currentLoop() == nil {  // not re-bound meanwhile
                    PQsetnonblocking(handle, 0)
                }
            }
            return
        }
        if events & PostgresLoopEvent.writable != 0 { flush(connection) }
        if events & PostgresLoopEvent.readable != 0 {
            guard PQconsumeInput(connection) == 1 else {
                // EOF or a reset: the server ended the session (idle or not).
                let error = brokenConnectionError(connection)
                finishPending(.failure(error), drop: true)
                drop()
                return
            }
            if pending != nil {
                collectPending(connection)
            } else if PQstatus(connection) == CONNECTION_BAD {
                drop()
            }
        }
        if events & PostgresLoopEvent.tick != 0, let deadline = pending?.deadline, deadline <= .now {
            // The server may still be working and a half-read answer can never be resynchronised.
            finishPending(.failure(PostgresError(code: .queryTimeout, message: "no answer from PostgreSQL before the deadline")), drop: true)
        }
    }

    private func collectPending(_ connection: OpaquePointer) {
        guard var current = pending else { return }
        let complete = current.collector.drain(connection)
        // The results taken so far live in the collector: keep them even when more is to come
        // (a result can be whole before the server's ReadyForQuery arrives in a later packet).
        pending = current
        guard complete else { return }
        recordSessionStatus(connection)
        let outcome = current.collector.outcome
        if case .failure(let error) = outcome, error.isConnectionFailure { markBroken() }
        switch current.statement.completed(outcome, cache: &cache, inTransactionBlock: inTransactionBlock(connection)) {
        case .sendAgain:
            current.collector = PostgresResultCollector()
            pending = current
            sendPending(connection)
        case .finished(let result):
            pending = current
            finishPending(result.mapError { $0 }, drop: false)
        }
    }

    /// Resumes the waiting caller; `drop` ends the session first (it can no longer be trusted).
    private func finishPending(_ result: Result<PostgresRows, any Error>, drop shouldDrop: Bool) {
        let finished = pending
        pending = nil
        setInFlight(false)
        if shouldDrop { drop() }
        finished?.continuation.resume(with: result)
    }
}
