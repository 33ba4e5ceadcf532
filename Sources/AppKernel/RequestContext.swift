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
    /// "Now" for this request, from the application clock.
    public var now: Date

    public init(requestID: String, logger: Logger, parameters: Parameters, app: AppContext, now: Date) {
        self.requestID = requestID
        self.logger = logger
        self.parameters = parameters
        self.app = app
        self.now = now
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
