public import Foundation
public import HTTPServer
public import Logging
public import Postgres

/// Lives exactly as long as one request (STYLE.md C10).
public struct RequestContext: Sendable {
    public let requestID: String
    /// Carries `request.id` in its metadata.
    public var logger: Logger
    public let parameters: Parameters
    public let app: AppContext
    /// "Now" for this request: the application clock, or the caller's test clock (sandbox).
    public var now: Date
    /// Who is calling, resolved before the handler runs (`Access`).
    public var caller: Caller
    /// The client's IP: the TCP peer, or what a trusted proxy says it forwarded for.
    public var clientAddress: String = ""
    /// What earlier steps of this request already looked up (see `RequestMemo`).
    public let memo = RequestMemo()

    public init(requestID: String, logger: Logger, parameters: Parameters, app: AppContext, now: Date, caller: Caller = .anonymous) {
        self.requestID = requestID
        self.logger = logger
        self.parameters = parameters
        self.app = app
        self.now = now
        self.caller = caller
    }

    public var database: PostgresPool { app.database }

    /// A path parameter that the route pattern guarantees.
    public func parameter(_ name: String) throws(AppError) -> String {
        guard let value = parameters[name] else { throw .notFound("no \(name) in the path") }
        return value
    }

    /// A UUID path parameter; a malformed id names nothing, so it is 404 like an unknown one.
    public func uuidParameter(_ name: String) throws(AppError) -> UUID {
        guard let id = UUID(uuidString: try parameter(name)) else { throw .notFound("no \(name) \"\(parameters[name] ?? "")\"") }
        return id
    }
}
