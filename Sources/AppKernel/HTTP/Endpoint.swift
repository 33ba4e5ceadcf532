public import Foundation
public import HTTPServer

/// Who may call an endpoint. The application resolves it before the handler runs (an
/// `Authenticator` per kind, installed by the module that owns the credential) and hands the
/// handler the caller and their "now".
public enum Access: String, Sendable, CaseIterable {
    /// No credentials (sign-up, login, health, the OpenAPI document).
    case anyone
    /// A driver's bearer token (`Authorization: Bearer hg_…`).
    case driver
    /// A work provider's `Hourglass-Signature` over the raw body.
    case workProvider
    /// The card processor's `PSP-Signature` over the raw body.
    case cardProcessor
    /// A member of staff: the admin session cookie, after password and second factor.
    case staff
}

/// A member of staff, as resolved from their admin session.
public struct StaffCaller: Sendable, Equatable {
    public let id: UUID
    public let email: String
    public let name: String
    public let role: String
    /// What the role may do (`AdminPermission` names); deny by default.
    public let permissions: Set<String>
    /// The session's id as stored (a hash, never the cookie's secret).
    public let sessionID: String
    /// The per-session token every POST form must carry.
    public let csrfToken: String
    /// When the second factor was passed in this session; nil until it is (only the MFA
    /// page itself serves such a session).
    public let verifiedAt: Date?
    /// The last time a TOTP code (not a recovery code) was entered: sudo mode lasts 10 minutes.
    public let sudoAt: Date?

    public init(id: UUID, email: String, name: String, role: String, permissions: Set<String>, sessionID: String, csrfToken: String,
                verifiedAt: Date?, sudoAt: Date?) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.permissions = permissions
        self.sessionID = sessionID
        self.csrfToken = csrfToken
        self.verifiedAt = verifiedAt
        self.sudoAt = sudoAt
    }

    public func may(_ permission: String) -> Bool { permissions.contains(permission) }
}

/// Who is calling, once resolved.
public enum Caller: Sendable, Equatable {
    case anonymous
    case driver(UUID)
    case workProvider(String)
    case cardProcessor
    case staff(StaffCaller)
}

/// Resolves one kind of credential: returns the context with `caller` (and, for a driver on a
/// test clock, `now`) set, or throws 401.
public protocol Authenticator: Sendable {
    func authenticate(_ request: HTTPRequest, _ context: RequestContext) async throws -> RequestContext
    /// A cheap look at the head alone, before any body is read: false when the credential is
    /// plainly missing or malformed (so a large body is never buffered for nobody).
    func looksPresent(in head: HTTPRequestHead) -> Bool
}

extension Authenticator {
    public func looksPresent(in head: HTTPRequestHead) -> Bool { true }
}

/// What an endpoint accepts as its body.
public enum RequestBody: Sendable {
    /// `application/json`, validated against the schema before the handler runs.
    case json(Schema)
    /// Raw bytes of one of these media types (photos, PDFs), or `multipart/form-data` when listed.
    case bytes([String])
    /// An HTML form (`application/x-www-form-urlencoded`), each field a string, validated
    /// against the schema like a JSON body (422 naming every invalid field).
    case form(Schema)
}

/// A query parameter an endpoint reads. Any other parameter is a 400.
public struct QueryParameter: Sendable {
    public let name: String
    public let schema: Schema
    public let description: String
    /// May appear more than once (`?status=a&status=b`).
    public let repeatable: Bool

    public init(_ name: String, _ schema: Schema, _ description: String, repeatable: Bool = false) {
        self.name = name
        self.schema = schema
        self.description = description
        self.repeatable = repeatable
    }

    /// `limit` and `cursor` (PRODUCT.md's list contract).
    public static let pagination: [QueryParameter] = [
        QueryParameter("limit", .integer(minimum: 1, maximum: nil), "page size: default 50, larger values are capped at 200"),
        QueryParameter("cursor", .string(.init(pattern: PageRequest.cursorPattern)), "the next_cursor of the previous page"),
    ]
}

/// One documented answer of an endpoint.
public struct ResponseSpec: Sendable {
    public enum Content: Sendable {
        case json(Schema)
        /// Other media types (HTML, PDF, Prometheus text), not validated.
        case media([String])
        case empty
    }
    public let status: Int
    public let description: String
    public let content: Content

    public init(_ status: Int, _ description: String, _ content: Content) {
        self.status = status
        self.description = description
        self.content = content
    }

    public static func json(_ status: Int, _ description: String, _ schema: Schema) -> ResponseSpec {
        ResponseSpec(status, description, .json(schema))
    }

    /// A problem (RFC 9457) answer.
    public static func problem(_ status: Int, _ description: String) -> ResponseSpec {
        ResponseSpec(status, description, .json(ProblemDetails.schema.ref))
    }
}

/// What a handler runs with: the request, its context (caller and "now" resolved), and the
/// validated body and query.
public struct Call: Sendable {
    public let request: HTTPRequest
    public let context: RequestContext
    /// The body as validated and normalised (trimmed text, integral numbers), for `body(_:)`.
    let validatedBody: [UInt8]?

    public var now: Date { context.now }
    public var requestID: String { context.requestID }

    /// The calling driver. Only endpoints with `.driver` access are called with one.
    public var driverID: UUID {
        guard case .driver(let id) = context.caller else { preconditionFailure("a driver endpoint ran without a driver") }
        return id
    }

    /// The validated JSON body decoded into `T` (snake_case keys).
    public func body<T: Decodable>(_ type: T.Type) throws -> T {
        guard let validatedBody else { throw AppError.badRequest("a JSON body is required") }
        return try JSON.decode(type, from: validatedBody)
    }

    /// A UUID path parameter (404 when malformed: it names nothing).
    public func id(_ name: String = "id") throws(AppError) -> UUID { try context.uuidParameter(name) }

    public var query: QueryParameters { QueryParameters(request.query) }

    /// The calling member of staff. Only endpoints with `.staff` access are called with one.
    public var staff: StaffCaller {
        guard case .staff(let staff) = context.caller else { preconditionFailure("a staff endpoint ran without staff") }
        return staff
    }
}

/// Renders an error for endpoints that do not answer in problem+json (admin pages: an HTML page,
/// or a redirect to the login page for a missing session).
public typealias ErrorPresenter = @Sendable (AppError, HTTPRequest, RequestContext) -> HTTPResponse

/// A route, declared once: served, validated, authenticated and documented from this value.
public struct Endpoint: Sendable {
    public typealias Handler = @Sendable (Call) async throws -> HTTPResponse

    public let method: HTTPMethod
    public let path: String
    public let operationID: String
    public let summary: String
    public let tag: String
    public let access: Access
    public var body: RequestBody?
    public var bodyLimit: Int
    public var query: [QueryParameter]
    /// Takes an `Idempotency-Key` header (PRODUCT.md: every POST that creates a policy or moves money).
    public var idempotent: Bool
    public var responses: [ResponseSpec]
    /// Schemas of path parameters that are not UUIDs (`{provider}`, `{week}`).
    public var pathSchemas: [String: Schema]
    /// In the OpenAPI document (the REST API); admin pages are not.
    public var documented: Bool
    /// How its errors are shown, when not as problem+json.
    public var presenter: ErrorPresenter?
    public let handler: Handler

    public init(_ method: HTTPMethod, _ path: String, id operationID: String, _ summary: String, tag: String, access: Access,
                body: RequestBody? = nil, bodyLimit: Int = 64 * 1024, query: [QueryParameter] = [], idempotent: Bool = false,
                pathSchemas: [String: Schema] = [:], responses: [ResponseSpec], documented: Bool = true,
                presenter: ErrorPresenter? = nil, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.tag = tag
        self.access = access
        self.body = body
        // Without a body, a stray `{}` or a few bytes are tolerated and ignored; never more.
        self.bodyLimit = body == nil ? 1024 : bodyLimit
        self.query = query
        self.idempotent = idempotent
        self.responses = responses
        self.pathSchemas = pathSchemas
        self.documented = documented
        self.presenter = presenter
        self.handler = handler
    }

    /// The path parameters (`{id}`).
    public var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }

    /// Every answer it can give: its own, plus what the application adds around any handler.
    public var allResponses: [ResponseSpec] {
        var all = responses
        func add(_ status: Int, _ description: String) {
            if !all.contains(where: { $0.status == status }) { all.append(.problem(status, description)) }
        }
        if case .json = body {
            add(400, "The body is not JSON, or not a JSON object")
            add(415, "The body is not application/json")
            add(422, "Invalid fields, each named in `errors`")
        }
        if case .bytes = body { add(415, "A media type this endpoint does not take") }
        if case .form = body {
            add(415, "The body is not application/x-www-form-urlencoded")
            add(422, "Invalid fields, each named in `errors`")
        }
        if body != nil { add(413, "The body is larger than this endpoint takes") }
        if !query.isEmpty { add(400, "An unknown or invalid query parameter") }
        if idempotent {
            add(400, "The Idempotency-Key is not 1 to 255 visible ASCII characters")
            add(409, "A request with this Idempotency-Key is still in flight")
            add(422, "This Idempotency-Key was used with a different request")
        }
        if access != .anyone { add(401, access == .driver ? "Missing, invalid or expired bearer token" : "Missing, wrong or stale signature") }
        if !pathParameters.isEmpty { add(404, "Nothing with that id for this caller") }
        add(503, "Maintenance (type /maintenance, with Retry-After), or the database or the card processor is unavailable; retry shortly")
        return all.sorted { $0.status < $1.status }
    }
}
