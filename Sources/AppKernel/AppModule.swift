public import HTTPServer

/// What a route runs.
public typealias RouteHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// A registered route: its handler and optional tighter body limit.
public struct Route: Sendable {
    public let handler: RouteHandler
    public let bodyLimit: Int?
}

/// Collects routes while modules register at start-up; frozen into the application's router.
public final class RouteCollector {
    public private(set) var router = Router<Route>()

    public init() {}

    public func add(_ method: HTTPMethod, _ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping RouteHandler) {
        router.add(method, pattern, Route(handler: handler, bodyLimit: bodyLimit))
    }

    public func get(_ pattern: String, _ handler: @escaping RouteHandler) { add(.get, pattern, handler) }
    public func post(_ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping RouteHandler) {
        add(.post, pattern, bodyLimit: bodyLimit, handler)
    }
    public func put(_ pattern: String, _ handler: @escaping RouteHandler) { add(.put, pattern, handler) }
    public func patch(_ pattern: String, _ handler: @escaping RouteHandler) { add(.patch, pattern, handler) }
    public func delete(_ pattern: String, _ handler: @escaping RouteHandler) { add(.delete, pattern, handler) }
}

/// One of PRODUCT.md's 25 modules. The executable lists the installed modules once
/// (STYLE.md C9); each declares its endpoints.
public protocol AppModule: Sendable {
    /// snake_case: the module's Postgres schema and migration file prefix.
    static var name: String { get }
    /// The module's routes, each declared once with who may call it, what it takes and what
    /// it answers: served, validated and documented from that one declaration.
    var endpoints: [Endpoint] { get }
    /// Routes not yet declared as endpoints (handlers that authenticate and parse themselves).
    func registerRoutes(on routes: RouteCollector)
    /// The credentials this module resolves for every endpoint (Identity: driver tokens).
    var authenticators: [Access: any Authenticator] { get }
    /// Checks that may answer before any endpoint runs (maintenance mode).
    var requestGates: [any RequestGate] { get }
}

extension AppModule {
    public var endpoints: [Endpoint] { [] }
    public var authenticators: [Access: any Authenticator] { [:] }
    public var requestGates: [any RequestGate] { [] }
    public func registerRoutes(on routes: RouteCollector) {}
}
