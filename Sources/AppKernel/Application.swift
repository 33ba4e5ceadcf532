import Foundation
public import HTTPServer
import Logging
import Postgres
import Synchronization

/// The HTTP responder for the whole process: routes a request, runs its handler with a fresh
/// `RequestContext`, turns any error into problem+json, stamps `X-Request-ID`, writes the access log.
public final class Application: HTTPResponder {
    public let context: AppContext
    public let router: Router<Route>
    private let requestIDs = RequestIDGenerator()

    public init(context: AppContext, modules: [any AppModule]) {
        self.context = context
        let routes = RouteCollector()
        for module in modules { module.registerRoutes(on: routes) }
        router = routes.router
    }

    public func bodyLimit(for head: HTTPRequestHead) -> Int? {
        if case .found(let route, _, _) = router.match(head.method, path: head.path) { return route.bodyLimit }
        return nil
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let start = ContinuousClock.now
        let requestID = requestIDs.next(incoming: request.headers["x-request-id"])
        var logger = context.logger
        logger[metadataKey: "request.id"] = "\(requestID)"
        var response: HTTPResponse
        var pattern = "unmatched"
        switch router.match(request.method, path: request.path) {
        case .found(let route, let parameters, let routePattern):
            pattern = routePattern
            let requestContext = RequestContext(requestID: requestID, logger: logger, parameters: parameters,
                                                app: context, now: context.clock.now())
            do {
                response = try await route.handler(request, requestContext)
            } catch {
                response = errorResponse(error, requestID: requestID, logger: logger)
            }
        case .methodNotAllowed(let allowed):
            response = ProblemDetails.response(
                for: AppError(status: .methodNotAllowed, slug: "method-not-allowed",
                              detail: "\(request.method.rawValue) is not allowed here",
                              headers: ["allow": allowed.map(\.rawValue).joined(separator: ", ")]),
                requestID: requestID)
        case .notFound:
            response = ProblemDetails.response(for: AppError.notFound("no resource at \(request.path)"), requestID: requestID)
        }
        response.headers.replaceOrAdd(name: "x-request-id", value: requestID)
        let elapsed = ContinuousClock.now - start
        context.requestMetrics.record(method: request.method.rawValue, route: pattern, status: response.status.code,
                                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        logger.info("request", metadata: [
            "http.method": "\(request.method.rawValue)",
            "http.route": "\(pattern)",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            "net.peer": "\(request.remoteAddress)",
        ])
        return response
    }

    /// The single translation point from errors to responses (STYLE.md C4). Unexpected errors
    /// become a 500 naming the request id; their details go to the log only.
    private func errorResponse(_ error: any Error, requestID: String, logger: Logger) -> HTTPResponse {
        if let error = error as? any ResponseError {
            if error.status.code >= 500 { logger.error("request failed", metadata: ["error": "\(error)"]) }
            return ProblemDetails.response(for: error, requestID: requestID)
        }
        if let error = error as? PostgresError, error.code == .invalidParameter {
            // Input that slipped past validation but cannot be stored: the client's fault, not ours.
            logger.warning("unstorable input", metadata: ["error": "\(error)"])
            return ProblemDetails.response(for: AppError.badRequest("the request contains a value that cannot be stored"),
                                           requestID: requestID)
        }
        if let error = error as? PostgresError, [.poolTimeout, .connectionFailed, .connectionClosed, .queryTimeout, .poolClosed].contains(error.code) {
            logger.error("database unavailable", metadata: ["error": "\(error)"])
            return ProblemDetails.response(
                for: AppError.unavailable("the service is temporarily unavailable; retry shortly"), requestID: requestID)
        }
        logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return ProblemDetails.response(
            for: AppError(status: .internalServerError, slug: "internal-error",
                          detail: "an unexpected error occurred; quote request id \(requestID) to support"),
            requestID: requestID)
    }
}

/// Request ids: the caller's `X-Request-ID` when it is sane (a load balancer's trace id), else a
/// random per-process prefix plus a counter, unique without a syscall per request.
final class RequestIDGenerator: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        prefix = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
    }

    func next(incoming: String?) -> String {
        if let incoming, (1...128).contains(incoming.utf8.count),
           incoming.utf8.allSatisfy({ byte in
               (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95 || byte == 46
           }) {
            return incoming
        }
        let value = counter.add(1, ordering: .relaxed).newValue
        return "\(prefix)-\(String(value, radix: 16))"
    }
}
