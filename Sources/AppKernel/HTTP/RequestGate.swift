public import HTTPServer

/// Something consulted before any endpoint runs that may answer in its place (maintenance
/// mode: the driver API answers 503 while health checks, signed events and the admin go on).
public protocol RequestGate: Sendable {
    /// An answer instead of the endpoint's, or nil to let it run.
    func intercept(_ endpoint: Endpoint, _ context: RequestContext) async -> HTTPResponse?
}
