public import Logging
import Foundation
import Synchronization

/// State shared by the server and its loops.
final class ServerShared: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let openConnections = Atomic<Int>(0)
    private let running = Mutex<(loops: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    func loopStarted() { running.withLock { $0.loops += 1 } }

    func loopFinished() {
        let waiters = running.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.loops -= 1
            guard state.loops == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitForLoops() async {
        await withCheckedContinuation { continuation in
            let done = running.withLock { state -> Bool in
                if state.loops == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// The HTTP/1.1 server: one epoll event loop per core, each accepting on its own SO_REUSEPORT
/// socket, handing complete requests to a responder on Swift's cooperative pool.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 8080), responder: app, logger: logger)
/// try server.start()
/// // on SIGTERM:
/// server.shutdown(gracePeriod: .seconds(25))
/// await server.waitUntilStopped()
/// ```
public final class HTTPServer: Sendable {
    private let shared: ServerShared
    private let state = Mutex<(loops: [EventLoop], port: UInt16)>(([], 0))

    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        shared = ServerShared(configuration: configuration, responder: responder, logger: logger)
    }

    /// The bound port (useful when configured with port 0).
    public var port: UInt16 { state.withLock { $0.port } }

    /// The event loops, once started: other I/O can be driven by them (PostgreSQL connections).
    public var eventLoops: [EventLoop] { state.withLock { $0.loops } }

    /// Connections currently open across all loops.
    public var openConnections: Int { shared.openConnections.load(ordering: .relaxed) }

    /// Binds every loop's listener and starts the loop threads. Throws if the address is taken.
    public func start() throws {
        let configuration = shared.configuration
        var port = configuration.port
        var loops: [EventLoop] = []
        do {
            for _ in 0..<configuration.eventLoopCount {
                let fd = try Socket.listen(host: configuration.host, port: port, reusePort: true,
                                           backlog: configuration.listenBacklog)
                // Port 0 picks a port once; the other loops join that same port.
                if port == 0 { port = Socket.localPort(fd) }
                loops.append(try EventLoop(shared: shared, listenFD: fd))
            }
        } catch {
            for loop in loops { loop.post(.shutdown(gracePeriodMs: 0)) }
            throw error
        }
        state.withLock { $0 = (loops, port) }
        for (index, loop) in loops.enumerated() {
            shared.loopStarted()
            let thread = Thread { loop.run() }
            thread.name = "hourglass.http.loop.\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        shared.logger.info("listening", metadata: [
            "http.host": "\(configuration.host)", "http.port": "\(port)", "http.event_loops": "\(loops.count)",
        ])
    }

    /// Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish
    /// (their responses say `Connection: close`), and force-close whatever remains after `gracePeriod`.
    public func shutdown(gracePeriod: Duration) {
        let loops = state.withLock { $0.loops }
        for loop in loops { loop.post(.shutdown(gracePeriodMs: gracePeriod.milliseconds)) }
    }

    /// Returns once every loop has stopped.
    public func waitUntilStopped() async { await shared.waitForLoops() }
}
