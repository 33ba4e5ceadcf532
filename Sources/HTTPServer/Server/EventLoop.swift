import CEpoll
import Glibc
import Logging
import Synchronization

/// One I/O thread: an epoll set with its own SO_REUSEPORT listener and the connections it
/// accepted. Everything but `inbox` is touched only on the loop's thread; other threads talk to
/// it by posting messages and signalling its eventfd.
///
/// It is also a `TaskExecutor`: request handlers run on it (`Task(executorPreference:)`), and
/// other sockets can be watched by it (`register(fd:handler:)`, used to drive PostgreSQL
/// connections), so a handler that awaits its database is resumed on this same thread when the
/// answer arrives, without waking any other.
public final class EventLoop: @unchecked Sendable {
    enum Message {
        case completed(token: UInt64, sequence: Int, response: HTTPResponse)
        case admitted(token: UInt64, refusal: HTTPResponse?)
        case shutdown(gracePeriodMs: Int64)
        case job(UnownedJob)
        case work(@Sendable () -> Void)
    }

    static let wakeToken = UInt64.max
    static let listenerToken = UInt64.max - 1
    /// Tokens of watched sockets carry this bit (connection tokens never do: a generation
    /// counter in the high half that wraps at 2^30 generations would be needed to reach it).
    static let watcherBit: UInt64 = 1 << 62

    let shared: ServerShared
    let epoll: Int32
    let wakeFD: Int32
    private var listenFD: Int32
    private var connections: [Int32: Connection] = [:]
    private var generation: UInt32 = 0
    private var dateCache = HTTPDateCache()
    private var isDraining = false
    private var forceCloseAt: Int64?
    private var nextSweep: Int64 = 0
    private let sweepInterval: Int64
    let timeouts: ConnectionStateMachine.Timeouts
    /// One read buffer per loop, reused by every connection it serves.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// Jobs (task slices) and work to run on this thread, in order.
    var readyJobs: [UnownedJob] = []
    var readyWork: [@Sendable () -> Void] = []
    /// Sockets watched for others (`register(fd:handler:)`), by descriptor.
    var watchers: [Int32: Watcher] = [:]
    /// Set as the loop ends: no more sockets are taken.
    var isStopping = false

    private struct Inbox {
        var messages: [Message] = []
        var stopped = false
    }
    private let inbox = Mutex(Inbox())

    init(shared: ServerShared, listenFD: Int32) throws {
        self.shared = shared
        self.listenFD = listenFD
        epoll = hg_epoll_create()
        wakeFD = hg_eventfd_create()
        guard epoll >= 0, wakeFD >= 0 else { throw Socket.Failure(call: "epoll_create1/eventfd", code: errno) }
        hg_epoll_add(epoll, wakeFD, HG_EPOLLIN, Self.wakeToken)
        hg_epoll_add(epoll, listenFD, HG_EPOLLIN, Self.listenerToken)
        let configuration = shared.configuration
        timeouts = ConnectionStateMachine.Timeouts(configuration)
        let shortest = [configuration.headTimeout, configuration.bodyIdleTimeout, configuration.idleTimeout,
                        configuration.handlerTimeout, configuration.writeTimeout].min()!
        sweepInterval = min(250, max(5, shortest.milliseconds / 4))
    }

    deinit { readBuffer.deallocate() }

    /// Posts a message from any thread; wakes the loop if it might be asleep. False once the
    /// loop has stopped (the message is not taken).
    @discardableResult
    func post(_ message: Message) -> Bool {
        let (taken, shouldSignal) = inbox.withLock { inbox -> (Bool, Bool) in
            guard !inbox.stopped else { return (false, false) }
            inbox.messages.append(message)
            return (true, inbox.messages.count == 1)
        }
        if shouldSignal { hg_eventfd_signal(wakeFD) }
        return taken
    }

    // MARK: - The loop

    func run() {
        claimThread()
        var events = [hg_epoll_event](repeating: hg_epoll_event(), count: 256)
        while true {
            let now = Socket.monotonicMilliseconds()
            var timeout = Int32(max(0, nextSweep - now))
            if let forceCloseAt { timeout = min(timeout, Int32(max(0, forceCloseAt - now))) }
            if !readyJobs.isEmpty || !readyWork.isEmpty { timeout = 0 }
            let count = hg_epoll_wait(epoll, &events, Int32(events.count), timeout)
            for index in 0..<Int(max(0, count)) { dispatch(events[index]) }
            runReadyWork()
            let after = Socket.monotonicMilliseconds()
            if after >= nextSweep {
                sweep(now: after)
                tickWatchers()
                nextSweep = after + sweepInterval
            }
            if isDraining {
                if connections.isEmpty { break }
                if let forceCloseAt, after >= forceCloseAt {
                    for connection in Array(connections.values) { connection.close() }
                    break
                }
            }
        }
        finish()
    }

    private func dispatch(_ event: hg_epoll_event) {
        switch event.token {
        case Self.wakeToken:
            hg_eventfd_drain(wakeFD)
            let messages = inbox.withLock { inbox in
                defer { inbox.messages.removeAll(keepingCapacity: true) }
                return inbox.messages
            }
            for message in messages { handle(message) }
        case Self.listenerToken:
            acceptConnections()
        case let token where token & Self.watcherBit != 0:
            notifyWatcher(fd: Int32(truncatingIfNeeded: token & 0xFFFF_FFFF), events: event.events)
        default:
            let fd = Int32(truncatingIfNeeded: event.token & 0xFFFF_FFFF)
            guard let connection = connections[fd], connection.token == event.token else { return }
            connection.handleEvents(event.events)
        }
    }

    private func handle(_ message: Message) {
        switch message {
        case .completed(let token, let sequence, let response):
            let fd = Int32(truncatingIfNeeded: token & 0xFFFF_FFFF)
            guard let connection = connections[fd], connection.token == token else { return }  // client left
            connection.complete(sequence: sequence, response: response)
        case .admitted(let token, let refusal):
            let fd = Int32(truncatingIfNeeded: token & 0xFFFF_FFFF)
            guard let connection = connections[fd], connection.token == token else { return }
            connection.admitted(refusal)
        case .shutdown(let gracePeriodMs):
            beginDraining(gracePeriodMs: gracePeriodMs)
        case .job(let job):
            readyJobs.append(job)
        case .work(let work):
            readyWork.append(work)
        }
    }

    private func acceptConnections() {
        guard !isDraining else { return }
        // Bounded so that a connection storm cannot starve the connections already open.
        for _ in 0..<128 {
            guard let (fd, address) = Socket.accept(listenFD) else { return }
            if shared.openConnections.add(1, ordering: .relaxed).newValue > shared.configuration.maxConnections {
                refuseOverCapacity(fd)
                continue
            }
            generation &+= 1
            let token = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
            let connection = Connection(fd: fd, token: token, remoteAddress: address, loop: self)
            connections[fd] = connection
            hg_epoll_add(epoll, fd, HG_EPOLLIN | HG_EPOLLOUT | HG_EPOLLRDHUP | HG_EPOLLET, token)
        }
    }

    /// Over the connection limit: a polite 503 and close, instead of falling over.
    private func refuseOverCapacity(_ fd: Int32) {
        var bytes = [UInt8]()
        ResponseSerializer.serialize(
            shared.responder.protocolError(.serviceUnavailable, detail: "the server is at its connection limit; retry shortly"),
            isHead: false, keepAlive: false, version: .http1_1, date: dateCache.current(), into: &bytes)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
        shared.openConnections.subtract(1, ordering: .relaxed)
        shared.logger.warning("connection refused: at the connection limit",
                              metadata: ["http.max_connections": "\(shared.configuration.maxConnections)"])
    }

    private func sweep(now: Int64) {
        for connection in connections.values where now >= connection.deadline {
            connection.deadlinePassed()
        }
    }

    private func beginDraining(gracePeriodMs: Int64) {
        guard !isDraining else { return }
        isDraining = true
        forceCloseAt = Socket.monotonicMilliseconds() + gracePeriodMs
        hg_epoll_remove(epoll, listenFD)
        close(listenFD)
        listenFD = -1
        for connection in Array(connections.values) { connection.beginDraining() }
    }

    private func finish() {
        let leftover = inbox.withLock { inbox in
            inbox.stopped = true
            defer { inbox.messages = [] }
            return inbox.messages
        }
        for case .job(let job) in leftover { readyJobs.append(job) }
        for case .work(let work) in leftover { readyWork.append(work) }
        isStopping = true
        stopWatchers()
        handOffRemainingWork()
        releaseThread()
        if listenFD >= 0 { close(listenFD) }
        close(wakeFD)
        close(epoll)
        shared.loopFinished()
    }

    // MARK: - Services for connections

    var now: Int64 { Socket.monotonicMilliseconds() }
    func currentDate() -> [UInt8] { dateCache.current() }

    func remove(_ connection: Connection) {
        connections[connection.fd] = nil
        shared.openConnections.subtract(1, ordering: .relaxed)
    }

    /// Runs the responder off the I/O thread and posts the response back to this loop.
    /// Runs the responder's admission check for a head off the loop, then hands the verdict back.
    func startAdmission(for head: HTTPRequestHead, token: UInt64) {
        let responder = shared.responder
        Task {
            let refusal = await responder.admit(head)
            self.post(.admitted(token: token, refusal: refusal))
        }
    }

    /// Runs the responder for a complete request, on this loop unless the responder asks for
    /// the shared pool (long, CPU-bound work), and hands the response back to the connection.
    /// Returns the task, so that a handler past its deadline can be cancelled.
    func startHandler(for request: HTTPRequest, token: UInt64, sequence: Int) -> Task<Void, Never> {
        let responder = shared.responder
        let compression = shared.configuration.compression
        let work: @Sendable () async -> Void = {
            var response = await responder.respond(to: request)
            if let compression {
                response = compression.apply(to: response, acceptEncoding: request.headers["accept-encoding"])
            }
            let completed = Message.completed(token: token, sequence: sequence, response: response)
            if self.inEventLoop { self.handle(completed) } else { self.post(completed) }
        }
        guard shared.configuration.runsHandlersOnEventLoops, responder.runsOnEventLoop(request.head) else {
            return Task(operation: work)
        }
        return Task(executorPreference: self, operation: work)
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
