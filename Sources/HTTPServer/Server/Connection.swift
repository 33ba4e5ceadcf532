import CEpoll
import Glibc
import Logging

/// One client connection, owned by and touched only on its event loop's thread.
///
/// Requests are handled one at a time: the parser is not pulled while a response is pending,
/// which answers pipelined requests in order and, by not reading either, pushes back on
/// clients that send faster than we answer. The socket is edge-triggered; `socketReadable`
/// remembers that data may still be waiting after we stopped reading.
final class Connection {
    enum Phase {
        /// Waiting for (the rest of) a request head.
        case awaitingRequest
        case readingBody
        /// The responder is working on the request.
        case processing
        /// A final response is queued; close once it is written.
        case closing
        /// Output shut down; discarding input until the peer closes (RFC 9112 §9.6).
        case lingering
        case closed
    }

    let fd: Int32
    let token: UInt64
    let remoteAddress: String
    unowned let loop: EventLoop
    private var parser: HTTPRequestParser
    private(set) var phase = Phase.awaitingRequest
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var sequence = 0
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var socketReadable = false
    private var peerClosedInput = false
    /// Monotonic milliseconds at which the current phase times out.
    private(set) var deadline: Int64

    private var configuration: HTTPServerConfiguration { loop.shared.configuration }

    init(fd: Int32, token: UInt64, remoteAddress: String, loop: EventLoop) {
        self.fd = fd
        self.token = token
        self.remoteAddress = remoteAddress
        self.loop = loop
        parser = HTTPRequestParser(limits: loop.shared.configuration.limits)
        // The first request must arrive as promptly as any head (nginx's client_header_timeout).
        deadline = loop.now + loop.shared.configuration.headTimeout.milliseconds
    }

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
            switch phase {
            case .closed, .processing, .closing:
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
                    // EOF before a complete request: nothing to answer.
                    close()
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
            if phase == .readingBody {
                deadline = loop.now + configuration.bodyIdleTimeout.milliseconds
            } else if wasIdle, sequence > 0 {
                // The first byte of a follow-up request starts its head timer.
                deadline = loop.now + configuration.headTimeout.milliseconds
            }
            return true
        }
        if count == 0 {
            peerClosedInput = true
            socketReadable = false
            return true  // let `advance` decide: finish parsing what is buffered, then close
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
            phase = .readingBody
            deadline = loop.now + configuration.bodyIdleTimeout.milliseconds
            if let limit = loop.shared.responder.bodyLimit(for: requestHead) { try parser.limitBody(to: limit) }
            if requestHead.expectsContinue {
                // RFC 9110 §10.1.1: tell the client to send the body it is holding back.
                output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                flush()
            }
        case .body(let bytes):
            body.append(contentsOf: bytes)
        case .end(let trailers):
            guard let requestHead = head else { return }
            sequence += 1
            phase = .processing
            deadline = loop.now + configuration.handlerTimeout.milliseconds
            let request = HTTPRequest(head: requestHead, body: body, trailers: trailers, remoteAddress: remoteAddress)
            body = []
            loop.startHandler(for: request, token: token, sequence: sequence)
        }
    }

    // MARK: - Responses

    /// A responder finished. Stale completions (after a handler timeout) are ignored.
    func complete(sequence completed: Int, response: HTTPResponse) {
        guard phase == .processing, completed == sequence, let requestHead = head else { return }
        head = nil
        let keepAlive = requestHead.keepAlive && !loop.isDraining && !peerClosedInput
        ResponseSerializer.serialize(response, isHead: requestHead.method == .head, keepAlive: keepAlive,
                                     version: requestHead.version, date: loop.currentDate(), into: &output)
        phase = keepAlive ? .awaitingRequest : .closing
        deadline = loop.now + configuration.idleTimeout.milliseconds
        flush()
        advance()
    }

    /// A protocol error: answer with its status and close (only ever before a response started,
    /// since the parser is not pulled while one is pending).
    private func reject(_ error: HTTPParseError) {
        loop.shared.logger.debug("rejected request", metadata: [
            "http.status": "\(error.status.code)", "http.error": "\(error)", "net.peer": "\(remoteAddress)",
        ])
        respondAndClose(ResponseSerializer.problem(error.status, detail: error.description))
    }

    private func respondAndClose(_ response: HTTPResponse) {
        ResponseSerializer.serialize(response, isHead: head?.method == .head, keepAlive: false,
                                     version: head?.version ?? .http1_1, date: loop.currentDate(), into: &output)
        head = nil
        phase = .closing
        deadline = loop.now + configuration.writeTimeout.milliseconds
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
                deadline = loop.now + configuration.writeTimeout.milliseconds
                return  // EPOLLOUT will tell us when to go on
            }
            close()
            return
        }
        // Keep a modest buffer for the next response; give back anything large.
        output.removeAll(keepingCapacity: output.capacity <= 16 * 1024)
        outputOffset = 0
        switch phase {
        case .closing: startLingering()
        case .awaitingRequest where parser.isIdle: deadline = loop.now + configuration.idleTimeout.milliseconds
        default: break
        }
    }

    // MARK: - Closing

    /// Half-close, then drain what the client still sends for a moment: closing with unread
    /// input would send a RST that can destroy the response before the client reads it.
    private func startLingering() {
        shutdown(fd, Int32(SHUT_WR))
        phase = .lingering
        deadline = loop.now + 2000
        discardInput()
    }

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
        guard phase != .closed else { return }
        phase = .closed
        Glibc.close(fd)  // also removes it from the epoll set
        loop.remove(self)
    }

    /// The current phase ran out of time.
    func deadlinePassed() {
        switch phase {
        case .awaitingRequest where !hasPendingOutput:
            if parser.isIdle {
                close()  // idle keep-alive or a silent new connection: nothing to say
            } else {
                respondAndClose(ResponseSerializer.problem(.requestTimeout, detail: "the request head took too long to arrive"))
            }
        case .readingBody where !hasPendingOutput:
            respondAndClose(ResponseSerializer.problem(.requestTimeout, detail: "the request body stopped arriving"))
        case .processing:
            loop.shared.logger.warning("handler timed out", metadata: [
                "http.method": "\(head?.method.rawValue ?? "")", "http.path": "\(head?.path ?? "")",
            ])
            respondAndClose(ResponseSerializer.problem(.serviceUnavailable, detail: "the request took too long to process"))
        default:
            close()  // no write progress, or lingering done
        }
    }

    /// Graceful shutdown: close now if between requests; otherwise the next response says
    /// `Connection: close` (see `complete`).
    func drainIfIdle() {
        if phase == .awaitingRequest, parser.isIdle, !hasPendingOutput { close() }
    }
}
