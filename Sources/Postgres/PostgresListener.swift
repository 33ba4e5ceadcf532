import CLibPQ
import Foundation
import Glibc
import Synchronization

/// What a listener reports.
public enum PostgresListenerEvent: Sendable, Equatable {
    /// The listener (re)connected and is listening. Notifications sent while it was away are
    /// lost, so consumers should re-check whatever they wait for (e.g. poll the job queue).
    case listening
    case notification(channel: String, payload: String)
}

/// `LISTEN` on a dedicated connection and thread, reconnecting with backoff when the session
/// breaks. Send notifications with `SELECT pg_notify(\(channel), \(payload))` on any connection.
public final class PostgresListener: Sendable {
    public let events: AsyncStream<PostgresListenerEvent>
    private let continuation: AsyncStream<PostgresListenerEvent>.Continuation
    private let stopped = Atomic<Bool>(false)

    /// Starts listening on `channels` at once, in the background.
    public init(configuration: PostgresConfiguration, channels: [String]) {
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let thread = Thread { [self] in run(configuration: configuration, channels: channels) }
        thread.name = "hourglass.postgres.listener"
        thread.start()
    }

    /// Stops within about a quarter of a second and finishes `events`.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    private func run(configuration: PostgresConfiguration, channels: [String]) {
        var backoffMs: UInt32 = 100
        while !stopped.load(ordering: .relaxed) {
            guard let connection = try? PostgresConnection.openHandle(configuration).pointer else {
                usleep(backoffMs * 1000)
                backoffMs = min(backoffMs * 2, 5000)
                continue
            }
            if listen(connection, channels: channels) {
                backoffMs = 100
                continuation.yield(.listening)
                receive(connection)
            }
            PQfinish(connection)
        }
        continuation.finish()
    }

    private func listen(_ connection: OpaquePointer, channels: [String]) -> Bool {
        for channel in channels {
            guard let quoted = PQescapeIdentifier(connection, channel, channel.utf8.count) else { return false }
            let statement = "LISTEN " + String(cString: quoted)
            PQfreemem(quoted)
            guard let result = PQexec(connection, statement) else { return false }
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COMMAND_OK else { return false }
        }
        return true
    }

    /// Delivers notifications until the session breaks or `stop()` is called.
    private func receive(_ connection: OpaquePointer) {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .relaxed) {
            let ready = poll(&descriptor, 1, 250)
            if ready < 0 && errno != EINTR { return }
            if ready > 0 {
                guard PQconsumeInput(connection) == 1 else { return }
                while let notice = PQnotifies(connection) {
                    let channel = String(cString: notice.pointee.relname)
                    let payload = String(cString: notice.pointee.extra)
                    PQfreemem(notice)
                    continuation.yield(.notification(channel: channel, payload: payload))
                }
            }
            if PQstatus(connection) != CONNECTION_OK { return }
        }
    }
}
