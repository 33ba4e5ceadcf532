/// What the server asks of the application. Only `respond` is required.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse

    /// The largest body accepted for this request (e.g. per route); nil keeps the server limit.
    /// Called on the I/O loop as soon as the head is parsed: it must be quick and non-blocking.
    func bodyLimit(for head: HTTPRequestHead) -> Int?

    /// For a request with a body, before any of it is read: an answer to send instead (and
    /// close), so that no body is buffered for an unknown route or a caller without
    /// credentials. Called on the I/O loop: quick and non-blocking.
    func earlyResponse(for head: HTTPRequestHead) -> HTTPResponse?

    /// Whether `admit` must run before the body is read (a large body, worth an async check
    /// of the caller first).
    func needsAdmission(for head: HTTPRequestHead) -> Bool

    /// The async check before the body is read: an answer to send instead (401), or nil to go
    /// on. Runs off the I/O loop; reading waits for it (and `100 Continue` with it).
    func admit(_ head: HTTPRequestHead) async -> HTTPResponse?

    /// Whether the handler runs on the connection's event loop (the default: short requests
    /// that mostly wait for the database, resumed on the loop without a thread hop) or on the
    /// shared cooperative pool (long CPU-bound work, which must not hold up the loop's sockets).
    func runsOnEventLoop(_ head: HTTPRequestHead) -> Bool

    /// The server's own answers (a malformed request, a timeout, a body too large, an unknown
    /// method, no connection free), in the application's error format.
    func protocolError(_ status: HTTPStatus, detail: String) -> HTTPResponse
}

extension HTTPResponder {
    public func bodyLimit(for head: HTTPRequestHead) -> Int? { nil }
    public func earlyResponse(for head: HTTPRequestHead) -> HTTPResponse? { nil }
    public func needsAdmission(for head: HTTPRequestHead) -> Bool { false }
    public func admit(_ head: HTTPRequestHead) async -> HTTPResponse? { nil }
    public func runsOnEventLoop(_ head: HTTPRequestHead) -> Bool { true }
    public func protocolError(_ status: HTTPStatus, detail: String) -> HTTPResponse {
        ResponseSerializer.problem(status, detail: detail)
    }
}
