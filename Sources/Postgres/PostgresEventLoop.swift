/// An I/O thread that can drive connections without blocking a thread per statement: the HTTP
/// server's event loops conform (see AppKernel), so a handler running on a loop sends its
/// statement, goes on serving other sockets, and is resumed by that same loop when PostgreSQL
/// answers. No thread hop on either side of a round trip.
///
/// Everything but `inEventLoop` and `execute` is called on the loop's own thread only.
public protocol PostgresEventLoop: AnyObject, Sendable {
    /// True on the loop's own thread.
    var inEventLoop: Bool { get }

    /// Runs `work` on the loop's thread soon (from any thread).
    func execute(_ work: @escaping @Sendable () -> Void)

    /// Watches `fd`: `handler` is called on the loop's thread with `PostgresLoopEvent` flags
    /// whenever the socket is readable (level-triggered), writable (while write interest is
    /// on), on the loop's periodic tick, and once with `.stopped` when the loop ends. Returns
    /// false if the loop is stopping and cannot take the socket.
    func register(fd: Int32, handler: @escaping (_ events: UInt32) -> Void) -> Bool

    /// Turns interest in writability on or off (to finish sending a large statement).
    func setWritableInterest(fd: Int32, _ enabled: Bool)

    /// Stops watching `fd` (before it is closed).
    func deregister(fd: Int32)
}

/// The `events` flags a `PostgresEventLoop` passes to a registered handler.
public enum PostgresLoopEvent {
    public static let readable: UInt32 = 1
    public static let writable: UInt32 = 2
    /// The loop's periodic tick (a few times a second): check deadlines.
    public static let tick: UInt32 = 4
    /// The loop is ending: the socket is no longer watched.
    public static let stopped: UInt32 = 8
}
