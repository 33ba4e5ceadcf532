import CEpoll

/// Sockets the loop watches for others: PostgreSQL connections driven by this loop. The flags
/// passed to handlers are `EventLoop.WatchEvent`'s (the same values as Postgres's
/// `PostgresLoopEvent`, which AppKernel's conformance relies on).
extension EventLoop {
    /// The `events` flags of a watcher's handler.
    public enum WatchEvent {
        public static let readable: UInt32 = 1
        public static let writable: UInt32 = 2
        public static let tick: UInt32 = 4
        public static let stopped: UInt32 = 8
    }

    struct Watcher {
        let handler: (UInt32) -> Void
        var wantsWrite = false
    }

    /// Watches `fd` (level-triggered): `handler` gets `WatchEvent` flags on this loop's thread.
    /// On the loop's thread only. False when the loop is stopping.
    public func register(fd: Int32, handler: @escaping (_ events: UInt32) -> Void) -> Bool {
        // Off the loop's thread only when the loop has stopped (`execute` then runs work on a
        // shared thread): the socket stays with its caller.
        guard inEventLoop, !isStopping, watchers[fd] == nil else { return false }
        guard hg_epoll_add(epoll, fd, HG_EPOLLIN | HG_EPOLLRDHUP, Self.watcherBit | UInt64(UInt32(bitPattern: fd))) == 0 else {
            return false
        }
        watchers[fd] = Watcher(handler: handler)
        return true
    }

    /// Turns interest in writability on or off. On the loop's thread only.
    public func setWritableInterest(fd: Int32, _ enabled: Bool) {
        guard inEventLoop, var watcher = watchers[fd], watcher.wantsWrite != enabled else { return }
        watcher.wantsWrite = enabled
        watchers[fd] = watcher
        let events = HG_EPOLLIN | HG_EPOLLRDHUP | (enabled ? HG_EPOLLOUT : 0)
        hg_epoll_modify(epoll, fd, events, Self.watcherBit | UInt64(UInt32(bitPattern: fd)))
    }

    /// Stops watching `fd`. On the loop's thread only; call before closing it.
    public func deregister(fd: Int32) {
        // After the loop stopped its watchers are gone already (`stopWatchers`).
        guard inEventLoop, watchers.removeValue(forKey: fd) != nil else { return }
        hg_epoll_remove(epoll, fd)
    }

    func notifyWatcher(fd: Int32, events: UInt32) {
        guard let watcher = watchers[fd] else { return }
        var flags: UInt32 = 0
        if events & (HG_EPOLLIN | HG_EPOLLRDHUP | HG_EPOLLHUP | HG_EPOLLERR) != 0 { flags |= WatchEvent.readable }
        if events & HG_EPOLLOUT != 0 { flags |= WatchEvent.writable }
        watcher.handler(flags)
    }

    func tickWatchers() {
        for watcher in Array(watchers.values) { watcher.handler(WatchEvent.tick) }
    }

    /// The loop is ending: every watcher hears it once and is forgotten.
    func stopWatchers() {
        let all = watchers
        watchers = [:]
        for (fd, watcher) in all {
            hg_epoll_remove(epoll, fd)
            watcher.handler(WatchEvent.stopped)
        }
    }
}
