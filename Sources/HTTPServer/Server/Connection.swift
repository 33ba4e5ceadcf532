import CEpoll
import Glibc
import Logging

/// One client connection, owned by and touched only on its event loop's thread. It does the
/// I/O; `ConnectionStateMachine` makes the decisions.
///
/// Requests are handled one at a time: the parser is not pulled while a response is pending,
/// which answers pipelined requests in order and, by not reading either, pushes back on
/// clients that send faster than we answer. The socket is edge-triggered; `socketReadable`
/// remembers that data may still be waiting after we stopped reading.
final class Connection {
    let fd: Int32
    let token: UInt64
    let remoteAddress: String
    unowned let loop: EventLoop
    private var state: ConnectionStateMachine
    private var parser: HTTPRequestParser
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var socketReadable = false
    private var peerClosedInput = false
    /// The answer to the request being read, decided from its head alone: its (small) body is
    /// read and dropped, never kept, so the connection can stay open.
    private var earlyAnswer: HTTPResponse?
    /// The handler working on the current request: cancelled if it overruns its deadline, so
    /// that it stops sending statements and gives its database connection back.
    private var handlerTask: Task<Void, Never>?
    /// Bodies up to this size are drained after an early answer; larger ones close the connection.
    private static let drainableBody = 64 * 1024

    init(fd: Int32, token: UInt64, remoteAddress: String, loop: EventLoop) {
        self.fd = fd
        self.token = token
        self.remoteAddress = remoteAddress
        self.loop = loop
        parser = HTTPRequestParser(limits: loop.shared.configuration.limits)
        state = ConnectionStateMachine(timeouts: loop.timeouts, now: loop.now)
    }

    var deadline: Int64 { state.deadline }
    private var hasPendingOutput: Bool { outputOffset < output.count }

    // MARK: - Events

    func handleEvents(_ events: UInt32) {
        if events & (HG_EPOLLIN | HG_EPOLLRDHUP | HG_EPOLLHUP | HG_EPOLLERR) != 0 { socketReadable = true }
        if events & HG_EPOLLOUT != 0, hasPendingOutput { flush() }
        advance()
    }

    /// Reads and parses until a request is dispatched, more bytes are needed, or output must drain.
    private func advance() {
        while true {
            switch state.phase {
            case .closed, .processing, .closing, .admitting:
                return
            case .lingering:
                discardInput()
                return
            case .awaitingRequest, .readingBody:
                guard !hasPendingOutput else { return }
                do {
                    if let event = try parser.next() {
                        try handle(event)
                        continue
                    }
                } catch {
                    reject(error)
                    return
                }
                if peerClosedInput {
                    close()  // EOF before a complete request: nothing to answer
                    return
                }
                guard socketReadable, readFromSocket() else { return }
            }
        }
    }

    /// One read into the loop's shared buffer. Returns false when nothing more can be read now.
    private func readFromSocket() -> Bool {
        let buffer = loop.readBuffer
        let count = read(fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            let wasIdle = parser.isIdle
            parser.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            state.bytesReceived(startedNewRequest: wasIdle, now: loop.now)
            return true
        }
        if count == 0 {
            peerClosedInput = true
            socketReadable = false
            return true  // let `advance` finish parsing what is buffered, then close
        }
        switch errno {
        case EAGAIN, EWOULDBLOCK:
            socketReadable = false
            return false
        case EINTR:
            return true
        default:
            close()
            return false
        }
    }

    private func handle(_ event: HTTPRequestParser.Event) throws(HTTPParseError) {
        switch event {
        case .head(let requestHead):
            head = requestHead
            body = []
            state.headReceived(now: loop.now)
            let responder = loop.shared.responder
            let hasBody = requestHead.isChunked || (requestHead.contentLength ?? 0) > 0
            if hasBody, let early = responder.earlyResponse(for: requestHead) {
                // No body is kept for a request we will not serve. A small one is read and
                // dropped (the connection lives on); anything larger is not read at all.
                guard !requestHead.isChunked, let length = requestHead.contentLength, length <= Self.drainableBody else {
                    respondAndClose(early)
                    return
                }
                earlyAnswer = early
                sendContinueIfExpected(requestHead)
                return
            }
            if let limit = responder.bodyLimit(for: requestHead) { try parser.limitBody(to: limit) }
            if hasBody, responder.needsAdmission(for: requestHead) {
                state.admissionStarted(now: loop.now)
                loop.startAdmission(for: requestHead, token: token)
                return
            }
            sendContinueIfExpected(requestHead)
        case .body(let bytes):
            if earlyAnswer == nil { body.append(contentsOf: bytes) }
        case .end(let trailers):
            guard let requestHead = head else { return }
            let sequence = state.requestReceived(now: loop.now)
            if let early = earlyAnswer {
                // Answered through the loop like any response (never re-entering this parse).
                earlyAnswer = nil
                loop.post(.completed(token: token, sequence: sequence, response: early))
                return
            }
            let request = HTTPRequest(head: requestHead, body: body, trailers: trailers, remoteAddress: remoteAddress)
            body = []
            handlerTask = loop.startHandler(for: request, token: token, sequence: sequence)
        }
    }

    /// RFC 9110 §10.1.1: tell the client to send the body it is holding back.
    private func sendContinueIfExpected(_ requestHead: HTTPRequestHead) {
        guard requestHead.expectsContinue else { return }
        output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
        flush()
    }

    /// The responder's admission check ended: refuse (and close) or read the body.
    func admitted(_ refusal: HTTPResponse?) {
        guard state.phase == .admitting, let requestHead = head else { return }
        if let refusal {
            respondAndClose(refusal)
            return
        }
        state.admitted(now: loop.now)
        sendContinueIfExpected(requestHead)
        advance()
    }

    // MARK: - Responses

    /// A responder finished request `sequence`.
    func complete(sequence: Int, response: HTTPResponse) {
        handlerTask = nil
        guard let requestHead = head else { return }
        let action = state.responseReady(for: sequence, clientWantsKeepAlive: requestHead.keepAlive,
                                         peerClosedInput: peerClosedInput, now: loop.now)
        guard case .write(let keepAlive) = action else { return }
        head = nil
        ResponseSerializer.serialize(response, isHead: requestHead.method == .head, keepAlive: keepAlive,
                                     version: requestHead.version, date: loop.currentDate(), into: &output)
        flush()
        advance()
    }

    /// A protocol error: answer with its status and close (only ever before a response started,
    /// since the parser is not pulled while one is pending).
    private func reject(_ error: HTTPParseError) {
        loop.shared.logger.debug("rejected request", metadata: [
            "http.status": "\(error.status.code)", "http.error": "\(error)", "net.peer": "\(remoteAddress)",
        ])
        respondAndClose(loop.shared.responder.protocolError(error.status, detail: error.description))
    }

    private func respondAndClose(_ response: HTTPResponse) {
        ResponseSerializer.serialize(response, isHead: head?.method == .head, keepAlive: false,
                                     version: head?.version ?? .http1_1, date: loop.currentDate(), into: &output)
        head = nil
        state.finalResponseQueued(now: loop.now)
        flush()
    }

    private func flush() {
        while outputOffset < output.count {
            let written = output.withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress! + outputOffset, bytes.count - outputOffset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outputOffset += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                state.outputBlocked(now: loop.now)
                return  // EPOLLOUT will tell us when to go on
            }
            close()
            return
        }
        // Keep a modest buffer for the next response; give back anything large.
        output.removeAll(keepingCapacity: output.capacity <= 16 * 1024)
        outputOffset = 0
        if state.outputFlushed(parserIsIdle: parser.isIdle, now: loop.now) {
            // Half-close, then drain what the client still sends for a moment: closing with
            // unread input would send a RST that can destroy the response before it is read.
            shutdown(fd, Int32(SHUT_WR))
            discardInput()
        }
    }

    // MARK: - Closing

    private func discardInput() {
        let buffer = loop.readBuffer
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            close()  // EOF or error
            return
        }
    }

    func close() {
        guard state.phase != .closed else { return }
        // A handler still running is left to finish (its answer is then dropped): only one past
        // its deadline is cancelled, since stopping a payment half way needs recovery later.
        handlerTask = nil
        state.closed()
        Glibc.close(fd)  // also removes it from the epoll set
        loop.remove(self)
    }

    /// The current phase ran out of time.
    func deadlinePassed() {
        if case .processing = state.phase {
            loop.shared.logger.warning("handler timed out", metadata: [
                "http.method": "\(head?.method.rawValue ?? "")", "http.path": "\(head?.path ?? "")",
            ])
            handlerTask?.cancel()
            handlerTask = nil
        }
        switch state.deadlinePassed(parserIsIdle: parser.isIdle, hasPendingOutput: hasPendingOutput) {
        case .close:
            close()
        case .respondAndClose(let status, let detail):
            respondAndClose(loop.shared.responder.protocolError(status, detail: detail))
        }
    }

    /// Graceful shutdown: close now if between requests; otherwise the next response says
    /// `Connection: close`.
    func beginDraining() {
        if state.beginDraining(parserIsIdle: parser.isIdle, hasPendingOutput: hasPendingOutput) { close() }
    }
}
