/// The HTTP version of a request; only 1.0 and 1.1 are accepted.
public enum HTTPVersion: String, Sendable, Equatable {
    case http1_0 = "HTTP/1.0"
    case http1_1 = "HTTP/1.1"
}

/// A parsed request line and header section.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request-target as sent (origin-form `/a?b`, absolute-form `http://h/a?b`, or `*`).
    public var target: String
    /// The path of the target, still percent-encoded (`/v1/quotes/abc`).
    public var path: String
    /// The query string without `?`, if any.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Whether the connection stays open after this exchange (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// The client sent `Expect: 100-continue` and a body follows.
    public var expectsContinue: Bool
    /// The body's announced length; nil for chunked bodies.
    public var contentLength: Int?
    public var isChunked: Bool

    public init(method: HTTPMethod, target: String, path: String, query: String?, version: HTTPVersion, headers: HTTPHeaders,
                keepAlive: Bool, expectsContinue: Bool, contentLength: Int?, isChunked: Bool) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        self.contentLength = contentLength
        self.isChunked = isChunked
    }
}

/// A complete request as handed to a responder.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// Trailer fields of a chunked body.
    public var trailers: HTTPHeaders
    /// The peer's address, e.g. `127.0.0.1:52044`.
    public var remoteAddress: String

    public init(head: HTTPRequestHead, body: [UInt8] = [], trailers: HTTPHeaders = HTTPHeaders(), remoteAddress: String = "") {
        self.head = head
        self.body = body
        self.trailers = trailers
        self.remoteAddress = remoteAddress
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
    public var query: String? { head.query }
    public var headers: HTTPHeaders { head.headers }
}
