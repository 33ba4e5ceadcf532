import Foundation
public import HTTPServer
import Logging
import Synchronization

/// A loopback HTTP endpoint that records what it receives, for webhook tests. It can refuse
/// the first `failFirst` deliveries with 503 to exercise retries.
public final class WebhookReceiver: HTTPResponder {
    private let received = Mutex<[HTTPRequest]>([])
    private let failuresLeft: Atomic<Int>
    private let server: Mutex<HTTPServer?> = Mutex(nil)

    public init(failFirst: Int = 0) throws {
        failuresLeft = Atomic(failFirst)
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 1),
                                responder: self, logger: logger)
        try server.start()
        self.server.withLock { $0 = server }
    }

    public var url: String { "http://127.0.0.1:\(server.withLock { $0!.port })" }
    public var requests: [HTTPRequest] { received.withLock { $0 } }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        if failuresLeft.load(ordering: .relaxed) > 0 {
            failuresLeft.subtract(1, ordering: .relaxed)
            return HTTPResponse(status: .serviceUnavailable)
        }
        received.withLock { $0.append(request) }
        return HTTPResponse(status: .ok, contentType: "application/json", body: Array("{}".utf8))
    }

    public func stop() async {
        let server = server.withLock { $0 }
        server?.shutdown(gracePeriod: .seconds(1))
        await server?.waitUntilStopped()
    }
}
