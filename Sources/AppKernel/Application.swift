import Foundation
public import HTTPServer
import Logging
import Postgres
import Synchronization

/// The HTTP responder for the whole process: routes a request to its endpoint, resolves the
/// caller, checks the body and query against the endpoint's declaration, runs the handler with
/// one `RequestContext`, turns any error into problem+json, stamps `X-Request-ID`, writes the
/// access log. In the test environment every JSON answer is also checked against the schema
/// the endpoint declares for its status, so the OpenAPI document cannot drift from the truth.
public final class Application: HTTPResponder {
    public let context: AppContext
    public let router: Router<Routed>
    /// Every declared endpoint, in registration order (for the OpenAPI document).
    public let endpoints: [Endpoint]
    /// The OpenAPI document served at `/openapi.json` (and rendered into docs/api.md).
    public var openAPIDocument: JSONValue { document.value }
    private let document: DocumentBox
    private let authenticators: [Access: any Authenticator]
    private let gates: [any RequestGate]
    private let requestIDs = RequestIDGenerator()
    private let checksResponses: Bool
    private let clientAddresses: ClientAddressResolver

    /// What a path and method lead to.
    public enum Routed: Sendable {
        case endpoint(Endpoint)
        case legacy(Route)

        var bodyLimit: Int? {
            switch self {
            case .endpoint(let endpoint): endpoint.bodyLimit
            case .legacy(let route): route.bodyLimit
            }
        }
    }

    public init(context: AppContext, modules: [any AppModule]) {
        self.context = context
        var authenticators: [Access: any Authenticator] = [:]
        for module in modules { authenticators.merge(module.authenticators) { first, _ in first } }
        self.authenticators = authenticators
        gates = modules.flatMap(\.requestGates)
        checksResponses = context.config.environment == .test
        clientAddresses = ClientAddressResolver(trustedProxies: context.config.trustedProxies)
        let legacy = RouteCollector()
        var endpoints: [Endpoint] = []
        for module in modules {
            module.registerRoutes(on: legacy)
            endpoints += module.endpoints
        }
        // The OpenAPI document describes every endpoint, itself included; built once.
        // Built on first use (a request for it, or docs generation), not at every start-up.
        let document = DocumentBox()
        endpoints.append(Endpoint(
            .get, "/openapi.json", id: "openAPI", "This API's OpenAPI 3.1 document, generated from the endpoints the server runs",
            tag: "ops", access: .anyone, responses: [ResponseSpec(200, "OpenAPI 3.1", .media(["application/json"]))],
            // Weak: the document's builder holds the endpoints, this handler among them.
            handler: { [weak document] _ in HTTPResponse(status: .ok, contentType: "application/json", body: document?.bytes ?? []) }))
        document.prepare { [endpoints] in OpenAPI.document(Self.info, endpoints: endpoints.filter(\.documented)) }
        self.document = document
        var router = Router<Routed>()
        for endpoint in endpoints {
            precondition(endpoint.access == .anyone || authenticators[endpoint.access] != nil,
                         "\(endpoint.method.rawValue) \(endpoint.path) needs a \(endpoint.access) authenticator")
            router.add(endpoint.method, endpoint.path, .endpoint(endpoint))
        }
        for route in legacy.router.entries { router.add(route.method, route.pattern, .legacy(route.handler)) }
        self.router = router
        self.endpoints = endpoints
    }

    public func bodyLimit(for head: HTTPRequestHead) -> Int? {
        if case .found(let routed, _, _) = router.match(head.method, path: head.path) { return routed.bodyLimit }
        return nil
    }

    /// Before a body is read: an unknown route, a method it does not take, a missing or
    /// malformed credential, or a body of the wrong media type is answered at once, so no body
    /// is ever buffered for a request that would be refused anyway.
    public func earlyResponse(for head: HTTPRequestHead) -> HTTPResponse? {
        let refusal: AppError
        switch router.match(head.method, path: head.path) {
        case .notFound:
            refusal = .notFound("no resource at \(head.path)")
        case .methodNotAllowed(let allowed):
            refusal = AppError(status: .methodNotAllowed, slug: "method-not-allowed", detail: "\(head.method.rawValue) is not allowed here",
                               headers: ["allow": allowed.map(\.rawValue).joined(separator: ", ")])
        case .found(.legacy, _, _):
            return nil
        case .found(.endpoint(let endpoint), _, _) where endpoint.presenter != nil:
            return nil  // pages answer their own refusals (a login redirect, an HTML page); their bodies are small
        case .found(.endpoint(let endpoint), _, _):
            if endpoint.access != .anyone, let authenticator = authenticators[endpoint.access], !authenticator.looksPresent(in: head) {
                refusal = endpoint.access == .driver ? .unauthorized("send Authorization: Bearer <token>")
                    : .unauthorized("the request must be signed")
            } else if case .json = endpoint.body, let type = head.headers["content-type"]?.lowercased(),
                      !(type.hasPrefix("application/json") || type.contains("+json")) {
                refusal = .unsupportedMediaType("send the body as application/json")
            } else {
                return nil
            }
        }
        return stamped(ProblemDetails.response(for: refusal, requestID: nil))
    }

    /// Large bodies (attachments) wait for the caller's token to be checked.
    public func needsAdmission(for head: HTTPRequestHead) -> Bool {
        guard case .found(.endpoint(let endpoint), _, _) = router.match(head.method, path: head.path) else { return false }
        return endpoint.access == .driver && endpoint.bodyLimit > 64 * 1024
    }

    public func admit(_ head: HTTPRequestHead) async -> HTTPResponse? {
        guard let authenticator = authenticators[.driver] else { return nil }
        let context = RequestContext(requestID: requestIDs.next(incoming: nil), logger: context.logger, parameters: Parameters(),
                                     app: context, now: context.clock.now())
        do {
            _ = try await authenticator.authenticate(HTTPRequest(head: head, body: [], remoteAddress: ""), context)
            return nil
        } catch {
            return stamped(errorResponse(error, requestID: context.requestID, logger: context.logger), id: context.requestID)
        }
    }

    /// The server's own answers, as problem+json with a request id like every other error.
    public func protocolError(_ status: HTTPStatus, detail: String) -> HTTPResponse {
        let slug = status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "-")
        return stamped(ProblemDetails.response(for: AppError(status: status, slug: slug, detail: detail), requestID: nil))
    }

    /// Every answer: no MIME sniffing. HTML (certificates, the sandbox bank page): nothing loaded
    /// from elsewhere, no framing, no referrer, forms posting only back to us.
    static func addSecurityHeaders(to response: inout HTTPResponse) {
        response.headers.replaceOrAdd(name: "x-content-type-options", value: "nosniff")
        guard response.headers["content-type"]?.hasPrefix("text/html") == true,
              response.headers["content-security-policy"] == nil else { return }  // admin pages set their own
        response.headers.replaceOrAdd(name: "content-security-policy",
                                      value: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        response.headers.replaceOrAdd(name: "x-frame-options", value: "DENY")
        response.headers.replaceOrAdd(name: "referrer-policy", value: "no-referrer")
    }

    /// Gives an answer made outside `respond` its request id (in the body and the header).
    private func stamped(_ response: HTTPResponse, id: String? = nil) -> HTTPResponse {
        let requestID = id ?? requestIDs.next(incoming: nil)
        var response = response
        if id == nil, var body = try? JSON.decode(JSONValue.self, from: response.body), case .object(var members) = body {
            members["request_id"] = .string(requestID)
            body = .object(members)
            response.body = (try? JSON.encode(body)) ?? response.body
        }
        response.headers.replaceOrAdd(name: "x-request-id", value: requestID)
        return response
    }

    /// Staff pages run on the shared pool: some do long CPU-bound work (a settlement file
    /// parsed, an export written) that must not hold up the API connections of an event loop.
    public func runsOnEventLoop(_ head: HTTPRequestHead) -> Bool {
        !head.path.hasPrefix("/admin")
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let start = ContinuousClock.now
        let requestID = requestIDs.next(incoming: request.headers["x-request-id"])
        var logger = context.logger
        logger[metadataKey: "request.id"] = "\(requestID)"
        // Every statement the request sends is counted, for its route's round-trip budget.
        let statements = PostgresStatementCounter()
        var (response, pattern) = await PostgresStatementCounter.$current.withValue(statements) {
            await route(request, requestID: requestID, logger: logger)
        }
        response.headers.replaceOrAdd(name: "x-request-id", value: requestID)
        Self.addSecurityHeaders(to: &response)
        let elapsed = ContinuousClock.now - start
        context.requestMetrics.record(method: request.method.rawValue, route: pattern, status: response.status.code,
                                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                                      statements: statements.count)
        logger.info("request", metadata: [
            "http.method": "\(request.method.rawValue)",
            "http.route": "\(pattern)",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            "net.peer": "\(request.remoteAddress)",
        ])
        return response
    }

    /// Finds and runs the request's endpoint: its response and route pattern.
    private func route(_ request: HTTPRequest, requestID: String, logger: Logger) async -> (HTTPResponse, String) {
        var response: HTTPResponse
        var pattern = "unmatched"
        switch router.match(request.method, path: request.path) {
        case .found(let routed, let parameters, let routePattern):
            pattern = routePattern
            var requestContext = RequestContext(requestID: requestID, logger: logger, parameters: parameters,
                                                app: context, now: context.clock.now())
            requestContext.clientAddress = clientAddresses.resolve(peer: request.remoteAddress, forwardedFor: request.headers["x-forwarded-for"])
            do {
                switch routed {
                case .endpoint(let endpoint): response = try await run(endpoint, request, requestContext)
                case .legacy(let route): response = try await route.handler(request, requestContext)
                }
            } catch {
                if case .endpoint(let endpoint) = routed, let presenter = endpoint.presenter {
                    response = presenter(describe(error, requestID: requestID, logger: logger), request, requestContext)
                } else {
                    response = errorResponse(error, requestID: requestID, logger: logger)
                }
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
        return (response, pattern)
    }

    /// Authenticates, validates, runs.
    private func run(_ endpoint: Endpoint, _ request: HTTPRequest, _ initial: RequestContext) async throws -> HTTPResponse {
        var requestContext = initial
        for gate in gates {
            if let answer = await gate.intercept(endpoint, requestContext) { return answer }
        }
        if endpoint.access != .anyone {
            guard let authenticator = authenticators[endpoint.access] else { throw AppError.unauthorized("nobody may call this") }
            requestContext = try await authenticator.authenticate(request, requestContext)
        }
        // Whatever the handler changes is recorded as done by this caller (AuditContext).
        return try await AuditContext.acting(as: AuditContext(requestContext)) {
            try await handle(endpoint, request, requestContext)
        }
    }

    private func handle(_ endpoint: Endpoint, _ request: HTTPRequest, _ requestContext: RequestContext) async throws -> HTTPResponse {
        // Admin pages read their own query strings (filters are open-ended); the API refuses unknown parameters.
        if endpoint.documented { try Self.checkQuery(request.query, against: endpoint.query) }
        var validated: [UInt8]?
        switch endpoint.body {
        case .json(let schema)?: validated = try Self.validateJSON(request, schema)
        case .form(let schema)?: validated = try Self.validateForm(request, schema)
        case .bytes?, nil: validated = nil
        }
        let response = try await endpoint.handler(Call(request: request, context: requestContext, validatedBody: validated))
        if checksResponses, endpoint.documented { return checked(response, of: endpoint, logger: requestContext.logger) }
        return response
    }

    /// A form body, checked field by field against the endpoint's schema; handed to the
    /// handler as the equivalent JSON object (so `call.body(_:)` reads it).
    static func validateForm(_ request: HTTPRequest, _ schema: Schema) throws(AppError) -> [UInt8] {
        let contentType = request.headers["content-type"]?.lowercased() ?? ""
        guard contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/x-www-form-urlencoded" else {
            throw .unsupportedMediaType("send the form as application/x-www-form-urlencoded")
        }
        var fields: [String: JSONValue] = [:]
        var errors: [FieldError] = []
        for (name, value) in QueryParameters.pairs(String(decoding: request.body, as: UTF8.self)) {
            if fields[name] != nil { errors.append(FieldError(field: name, message: "may be given only once")) }
            fields[name] = .string(value)
        }
        let checked = schema.validateInput(.object(fields), errors: &errors)
        if !errors.isEmpty { throw .invalid(errors.count == 1 ? "a field is invalid" : "some fields are invalid", fields: errors) }
        return (try? JSON.encode(checked)) ?? []
    }

    /// The JSON body, checked against the endpoint's schema: 415 for another media type, 400
    /// for something that is not JSON, 422 naming every invalid field at once.
    static func validateJSON(_ request: HTTPRequest, _ schema: Schema) throws(AppError) -> [UInt8] {
        if let contentType = request.headers["content-type"]?.lowercased() {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
                throw .unsupportedMediaType("send the body as application/json")
            }
        }
        guard !request.body.isEmpty else { throw .badRequest("the body is empty: send a JSON object") }
        let value: JSONValue
        do {
            value = try JSON.decode(JSONValue.self, from: request.body)
        } catch {
            throw .badRequest("the body is not valid JSON")
        }
        guard case .object = value else { throw .badRequest("the body must be a JSON object") }
        var errors: [FieldError] = []
        let normalised = schema.validateInput(value, errors: &errors)
        guard errors.isEmpty else { throw .invalid(errors.count == 1 ? "a field is invalid" : "some fields are invalid", fields: errors) }
        do {
            return try JSON.encode(normalised)
        } catch {
            throw .badRequest("the body could not be read")
        }
    }

    /// Only declared query parameters, each valid, once unless repeatable: an unknown filter is
    /// a 400, never silently ignored.
    static func checkQuery(_ query: String?, against declared: [QueryParameter]) throws(AppError) {
        guard let query, !query.isEmpty else { return }
        var errors: [FieldError] = []
        var seen: [String: Int] = [:]
        for (name, value) in QueryParameters.pairs(query) {
            guard let parameter = declared.first(where: { $0.name == name }) else {
                errors.append(FieldError(field: name, message: "is not a parameter of this endpoint"))
                continue
            }
            seen[name, default: 0] += 1
            if seen[name]! > 1, !parameter.repeatable {
                errors.append(FieldError(field: name, message: "may be given only once"))
                continue
            }
            var fieldErrors: [FieldError] = []
            let json: JSONValue = switch parameter.schema {
            case .integer: QueryParameters.integer(value).map(JSONValue.integer) ?? .string(value)
            case .boolean: value == "true" ? .bool(true) : value == "false" ? .bool(false) : .string(value)
            default: .string(value)
            }
            _ = parameter.schema.validateInput(json, at: name, errors: &fieldErrors)
            errors += fieldErrors
        }
        if !errors.isEmpty { throw .badRequest("invalid query parameters", fields: errors) }
    }

    /// In tests: an answer that is not what the endpoint declares becomes a 500 naming the
    /// difference, so the test that provoked it fails.
    private func checked(_ response: HTTPResponse, of endpoint: Endpoint, logger: Logger) -> HTTPResponse {
        let status = response.status.code
        guard let spec = endpoint.allResponses.first(where: { $0.status == status }) else {
            logger.error("undeclared status", metadata: ["http.status": "\(status)", "http.route": "\(endpoint.path)"])
            return Self.contractBroken("\(endpoint.method.rawValue) \(endpoint.path) answered \(status), which it does not declare")
        }
        guard case .json(let schema) = spec.content, response.headers["content-type"]?.contains("json") == true else { return response }
        guard let value = try? JSON.decode(JSONValue.self, from: response.body) else {
            return Self.contractBroken("\(endpoint.path) answered \(status) with a body that is not JSON")
        }
        let problems = schema.conformance(of: value)
        guard problems.isEmpty else {
            let text = problems.prefix(5).map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            logger.error("answer does not match its schema", metadata: ["http.route": "\(endpoint.path)", "problems": "\(text)"])
            return Self.contractBroken("\(endpoint.method.rawValue) \(endpoint.path) \(status) does not match its schema: \(text)")
        }
        return response
    }

    static func contractBroken(_ detail: String) -> HTTPResponse {
        ProblemDetails.response(for: AppError(status: .internalServerError, slug: "contract-broken", detail: detail), requestID: nil)
    }

    /// The single translation point from errors to responses (STYLE.md C4). Unexpected errors
    /// become a 500 naming the request id; their details go to the log only.
    private func errorResponse(_ error: any Error, requestID: String, logger: Logger) -> HTTPResponse {
        if let error = error as? any ResponseError {
            if error.status.code >= 500 { logger.error("request failed", metadata: ["error": "\(error)"]) }
            return ProblemDetails.response(for: error, requestID: requestID)
        }
        return ProblemDetails.response(for: describe(error, requestID: requestID, logger: logger), requestID: requestID)
    }

    /// Any error as the `AppError` a client is told (logging what it must).
    private func describe(_ error: any Error, requestID: String, logger: Logger) -> AppError {
        if let error = error as? AppError {
            if error.status.code >= 500 { logger.error("request failed", metadata: ["error": "\(error)"]) }
            return error
        }
        if let error = error as? any ResponseError {
            if error.status.code >= 500 { logger.error("request failed", metadata: ["error": "\(error)"]) }
            return AppError(status: error.status, slug: error.problemSlug, detail: error.detail, fieldErrors: error.fieldErrors)
        }
        if let error = error as? PostgresError, error.code == .checkViolation, let constraint = error.constraint {
            // A table CHECK caught a value validation let through: our miss, logged as one, but
            // the client's input all the same (a trigger's RAISE has no constraint: still a 500).
            logger.error("validation missed a CHECK", metadata: ["constraint": "\(constraint)", "error": "\(error)"])
            let field = error.column.map { [FieldError(field: $0, message: "is not acceptable")] } ?? []
            return AppError.invalid("a value is not acceptable", fields: field)
        }
        if let error = error as? PostgresError, error.code == .invalidParameter {
            // Input that slipped past validation but cannot be stored: the client's fault, not ours.
            logger.warning("unstorable input", metadata: ["error": "\(error)"])
            return AppError.invalid("the request contains a value that cannot be stored")
        }
        if let error = error as? PostgresError, [.poolTimeout, .connectionFailed, .connectionClosed, .queryTimeout, .poolClosed].contains(error.code) {
            logger.error("database unavailable", metadata: ["error": "\(error)"])
            return AppError.unavailable("the service is temporarily unavailable; retry shortly")
        }
        if error is CancellationError || Task.isCancelled {
            // The handler overran HTTP_HANDLER_TIMEOUT_MS: the client already has its 503, and
            // the work was stopped on purpose (its statement cancelled, its connection returned).
            logger.notice("handler cancelled after its deadline", metadata: ["error": "\(error)"])
            return AppError.unavailable("the request took too long; retry shortly")
        }
        logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return AppError(status: .internalServerError, slug: "internal-error",
                        detail: "an unexpected error occurred; quote request id \(requestID) to support")
    }
}

extension Application {
    static let info = OpenAPI.Info(
        title: "Hourglass API", version: "1",
        description: "Motor cover by the hour for gig-economy drivers. Money is in integer minor units (pence) with a currency; "
            + "instants are RFC 3339 UTC in whole seconds; ids are lower-case UUIDs; every documented field is present, null when "
            + "it does not apply. Errors are application/problem+json (RFC 9457) naming every invalid field.")
}

/// Written once while the application is built, then only read.
/// The OpenAPI document, built once on first use. The builder is handed over after the
/// endpoint that serves the document exists (it describes itself too). It runs outside the
/// lock (two first requests may both build; one result is kept) and is dropped once built.
private final class DocumentBox: Sendable {
    private enum State {
        case waiting(@Sendable () -> JSONValue)
        case built(value: JSONValue, bytes: [UInt8])
    }
    private let state = Mutex<State>(.waiting({ .null }))

    func prepare(_ build: @escaping @Sendable () -> JSONValue) { state.withLock { $0 = .waiting(build) } }

    private var built: (value: JSONValue, bytes: [UInt8]) {
        let build: @Sendable () -> JSONValue
        switch state.withLock({ $0 }) {
        case .built(let value, let bytes): return (value, bytes)
        case .waiting(let builder): build = builder
        }
        let value = build()
        // JSONValue always encodes (its numbers are finite by construction); never serve nothing.
        let bytes = (try? JSON.encode(value)) ?? Array(#"{"openapi":"3.1.0"}"#.utf8)
        return state.withLock { state in
            if case .built(let kept, let keptBytes) = state { return (kept, keptBytes) }
            state = .built(value: value, bytes: bytes)
            return (value, bytes)
        }
    }

    var value: JSONValue { built.value }
    var bytes: [UInt8] { built.bytes }
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
