public import HTTPServer

/// One invalid input field, as listed in a problem's `errors` member.
public struct FieldError: Codable, Sendable, Equatable {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// An error that knows how it looks to an HTTP client (RFC 9457 problem details). Only the
/// application's error translation turns errors into responses (STYLE.md C4).
public protocol ResponseError: Error {
    var status: HTTPStatus { get }
    /// The last segment of the problem `type` URI, e.g. `declined` → `/problems/declined`.
    var problemSlug: String { get }
    var title: String { get }
    /// A human-readable explanation, safe for the client: no secrets, no internals.
    var detail: String { get }
    var fieldErrors: [FieldError] { get }
    /// Extra members of the problem object (e.g. `reasons` for a decline).
    var extensionMembers: [String: JSONValue] { get }
    /// Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`).
    var responseHeaders: HTTPHeaders { get }
}

extension ResponseError {
    public var title: String { status.reasonPhrase }
    public var fieldErrors: [FieldError] { [] }
    public var extensionMembers: [String: JSONValue] { [:] }
    public var responseHeaders: HTTPHeaders { HTTPHeaders() }
}

/// The general-purpose error for the common cases; modules add their own enums for domain rules.
public struct AppError: ResponseError, Equatable {
    public let status: HTTPStatus
    public let problemSlug: String
    public let detail: String
    public let fieldErrors: [FieldError]
    public let responseHeaders: HTTPHeaders

    public init(status: HTTPStatus, slug: String, detail: String, fieldErrors: [FieldError] = [],
                headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.problemSlug = slug
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.responseHeaders = headers
    }

    /// 400: the request is malformed (unparseable JSON, wrong types, missing fields).
    public static func badRequest(_ detail: String, fields: [FieldError] = []) -> AppError {
        AppError(status: .badRequest, slug: "bad-request", detail: detail, fieldErrors: fields)
    }

    /// 422: well-formed but breaks a rule (invalid values).
    public static func invalid(_ detail: String, fields: [FieldError] = []) -> AppError {
        AppError(status: .unprocessableContent, slug: "validation-failed", detail: detail, fieldErrors: fields)
    }

    public static func notFound(_ detail: String) -> AppError {
        AppError(status: .notFound, slug: "not-found", detail: detail)
    }

    public static func conflict(_ detail: String) -> AppError {
        AppError(status: .conflict, slug: "conflict", detail: detail)
    }

    public static func unauthorized(_ detail: String) -> AppError {
        AppError(status: .unauthorized, slug: "unauthorized", detail: detail, headers: ["www-authenticate": "Bearer"])
    }

    public static func unsupportedMediaType(_ detail: String) -> AppError {
        AppError(status: .unsupportedMediaType, slug: "unsupported-media-type", detail: detail)
    }

    public static func unavailable(_ detail: String) -> AppError {
        AppError(status: .serviceUnavailable, slug: "service-unavailable", detail: detail, headers: ["retry-after": "1"])
    }
}
