/// What the server calls for each complete request. It runs on Swift's cooperative pool, never
/// on an I/O loop, so it may await the database freely. It cannot fail: errors become responses.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse

    /// The largest body accepted for this request (e.g. per route); nil keeps the server limit.
    /// Called on the I/O loop as soon as the head is parsed: it must be quick and non-blocking.
    func bodyLimit(for head: HTTPRequestHead) -> Int?
}

extension HTTPResponder {
    public func bodyLimit(for head: HTTPRequestHead) -> Int? { nil }
}
