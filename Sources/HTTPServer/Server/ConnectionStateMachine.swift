/// The life of one connection as a pure state machine (STYLE.md C2): it decides phases,
/// deadlines and what to do when time runs out, and the I/O layer (`Connection`) carries the
/// decisions out. Time is passed in as monotonic milliseconds, so tests drive it with a fake clock.
struct ConnectionStateMachine {
    enum Phase: Equatable {
        /// Waiting for (the rest of) a request head.
        case awaitingRequest
        case readingBody
        /// A head with a body arrived and the responder is checking the caller before any of
        /// the body is read (reading is paused).
        case admitting
        /// The responder is working on request number `sequence`.
        case processing(sequence: Int)
        /// A final response is queued; half-close once it is written.
        case closing
        /// Output shut down; discarding input until the peer closes (RFC 9112 §9.6).
        case lingering
        case closed
    }

    /// Milliseconds allowed in each phase.
    struct Timeouts: Equatable {
        var head: Int64
        var bodyIdle: Int64
        var idle: Int64
        var handler: Int64
        var write: Int64
        var linger: Int64 = 2000

        init(head: Int64, bodyIdle: Int64, idle: Int64, handler: Int64, write: Int64) {
            self.head = head
            self.bodyIdle = bodyIdle
            self.idle = idle
            self.handler = handler
            self.write = write
        }

        init(_ configuration: HTTPServerConfiguration) {
            self.init(head: configuration.headTimeout.milliseconds, bodyIdle: configuration.bodyIdleTimeout.milliseconds,
                      idle: configuration.idleTimeout.milliseconds, handler: configuration.handlerTimeout.milliseconds,
                      write: configuration.writeTimeout.milliseconds)
        }
    }

    enum TimeoutAction: Equatable {
        /// Close without a word (idle keep-alive, stalled writes, lingering done).
        case close
        /// Answer with this status, `Connection: close`, then close.
        case respondAndClose(HTTPStatus, detail: String)
    }

    enum CompletionAction: Equatable {
        /// Write the response; keep the connection open afterwards or not.
        case write(keepAlive: Bool)
        /// A late answer for a request already timed out: drop it.
        case ignore
    }

    let timeouts: Timeouts
    private(set) var phase = Phase.awaitingRequest
    /// When the current phase times out (monotonic milliseconds).
    private(set) var deadline: Int64
    private(set) var sequence = 0
    private(set) var isDraining = false

    init(timeouts: Timeouts, now: Int64) {
        self.timeouts = timeouts
        // A new connection must send its first request as promptly as any head
        // (nginx's client_header_timeout).
        deadline = now + timeouts.head
    }

    var isReading: Bool { phase == .awaitingRequest || phase == .readingBody }

    /// Bytes arrived. The first byte of a follow-up request starts its head timer; body bytes
    /// push the body-idle timer back.
    mutating func bytesReceived(startedNewRequest: Bool, now: Int64) {
        switch phase {
        case .readingBody: deadline = now + timeouts.bodyIdle
        case .awaitingRequest where startedNewRequest && sequence > 0: deadline = now + timeouts.head
        default: break
        }
    }

    mutating func headReceived(now: Int64) {
        phase = .readingBody
        deadline = now + timeouts.bodyIdle
    }

    /// The head needs the responder's admission before its body is read.
    mutating func admissionStarted(now: Int64) {
        phase = .admitting
        deadline = now + timeouts.handler
    }

    /// Admitted: read the body.
    mutating func admitted(now: Int64) {
        guard phase == .admitting else { return }
        phase = .readingBody
        deadline = now + timeouts.bodyIdle
    }

    /// The request is complete and goes to the responder; returns its sequence number.
    mutating func requestReceived(now: Int64) -> Int {
        sequence += 1
        phase = .processing(sequence: sequence)
        deadline = now + timeouts.handler
        return sequence
    }

    /// A responder answered request `completed`.
    mutating func responseReady(for completed: Int, clientWantsKeepAlive: Bool, peerClosedInput: Bool, now: Int64)
        -> CompletionAction
    {
        guard phase == .processing(sequence: completed) else { return .ignore }
        let keepAlive = clientWantsKeepAlive && !isDraining && !peerClosedInput
        phase = keepAlive ? .awaitingRequest : .closing
        deadline = now + timeouts.write
        return .write(keepAlive: keepAlive)
    }

    /// A protocol error or timeout answer is queued: no more requests on this connection.
    mutating func finalResponseQueued(now: Int64) {
        phase = .closing
        deadline = now + timeouts.write
    }

    /// The socket would block with output pending.
    mutating func outputBlocked(now: Int64) {
        deadline = now + timeouts.write
    }

    /// All output is written. Returns true when the connection should now half-close and linger.
    mutating func outputFlushed(parserIsIdle: Bool, now: Int64) -> Bool {
        switch phase {
        case .closing:
            phase = .lingering
            deadline = now + timeouts.linger
            return true
        case .awaitingRequest where parserIsIdle:
            deadline = now + timeouts.idle
            return false
        default:
            return false
        }
    }

    /// The deadline passed: what to do about it.
    mutating func deadlinePassed(parserIsIdle: Bool, hasPendingOutput: Bool) -> TimeoutAction {
        switch phase {
        case .awaitingRequest where !hasPendingOutput:
            // Idle keep-alive or a silent new connection: nothing to say.
            if parserIsIdle { return .close }
            return .respondAndClose(.requestTimeout, detail: "the request head took too long to arrive")
        case .readingBody where !hasPendingOutput:
            return .respondAndClose(.requestTimeout, detail: "the request body stopped arriving")
        case .processing, .admitting:
            return .respondAndClose(.serviceUnavailable, detail: "the request took too long to process")
        default:
            return .close  // no write progress, or lingering done
        }
    }

    /// Graceful shutdown begins. Returns true when the connection can close at once (between
    /// requests); otherwise its next response says `Connection: close`.
    mutating func beginDraining(parserIsIdle: Bool, hasPendingOutput: Bool) -> Bool {
        isDraining = true
        return phase == .awaitingRequest && parserIsIdle && !hasPendingOutput
    }

    mutating func closed() { phase = .closed }
}
