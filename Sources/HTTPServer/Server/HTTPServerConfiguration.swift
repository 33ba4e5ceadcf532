/// Listening address, limits and timeouts. Every timeout is configurable (issue #3).
public struct HTTPServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); read the result from `HTTPServer.port`.
    public var port: UInt16
    /// I/O event loops, each with its own SO_REUSEPORT listener; defaults to one per core.
    public var eventLoopCount: Int
    public var limits = ParseLimits()
    /// From the first byte of a request head to its end (slowloris defence): 408 after.
    public var headTimeout: Duration = .seconds(10)
    /// Longest silence while a body is arriving: 408 after.
    public var bodyIdleTimeout: Duration = .seconds(30)
    /// Keep-alive idle time; above common load balancers' 60 s so they close first.
    public var idleTimeout: Duration = .seconds(65)
    /// How long a handler may take before the client gets 503 and the connection closes.
    public var handlerTimeout: Duration = .seconds(60)
    /// Run handlers on the event loops (the default; see `HTTPResponder.runsOnEventLoop`), or
    /// all on Swift's cooperative pool. The test suite runs hundreds of servers in one process:
    /// their loops together would be hundreds of threads running handlers at once, starving the
    /// tests' own tasks, so its servers use the pool unless a test asks for loops.
    public var runsHandlersOnEventLoops = true
    /// Longest time without write progress to a client that does not read.
    public var writeTimeout: Duration = .seconds(30)
    /// Open connections across all loops; beyond it new ones get 503 and are closed.
    public var maxConnections: Int = 20_000
    public var listenBacklog: Int32 = 4096
    /// gzip for large textual responses when the client accepts it; nil turns it off.
    public var compression: ResponseCompression? = ResponseCompression()

    public init(host: String = "127.0.0.1", port: UInt16 = 8080, eventLoopCount: Int? = nil) {
        self.host = host
        self.port = port
        self.eventLoopCount = max(1, eventLoopCount ?? HTTPServerConfiguration.coreCount)
    }

    static var coreCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

#if canImport(Glibc)
import Glibc
#endif
