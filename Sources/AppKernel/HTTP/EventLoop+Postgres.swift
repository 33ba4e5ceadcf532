public import HTTPServer
public import Postgres

/// The HTTP server's loops drive PostgreSQL connections: a handler running on a loop sends its
/// statements from there and is resumed there (see `PostgresEventLoop`). `EventLoop` already
/// has every member the protocol asks for; its `WatchEvent` flags equal `PostgresLoopEvent`'s.
extension EventLoop: PostgresEventLoop {}

extension PostgresPool {
    /// Lets the server's loops drive this pool's connections (call after `server.start()`).
    public func attach(to server: HTTPServer) {
        attach(eventLoops: server.eventLoops)
    }

    /// Stops binding new connections to the server's loops (call once it has stopped).
    public func detach(from server: HTTPServer) {
        detach(eventLoops: server.eventLoops)
    }
}
