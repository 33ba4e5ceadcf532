import Foundation

/// The thread a session's blocking libpq calls run on when no event loop drives it: one per
/// session, serial, its own (not a dispatch worker). A blocking statement then never waits for a
/// dispatch worker to be free, which under load (a test run's start: hundreds of blocked
/// workers) held every pooled session for seconds.
final class PostgresWorkerThread: @unchecked Sendable {
    // Invariant: `work` and `stopping` are touched only with `condition` locked.
    private let condition = NSCondition()
    private var work: [@Sendable () -> Void] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.stackSize = 512 * 1024
        thread.start()
    }

    private func run() {
        while true {
            condition.lock()
            while work.isEmpty && !stopping { condition.wait() }
            let batch = work
            work.removeAll(keepingCapacity: true)
            let stop = stopping && batch.isEmpty
            condition.unlock()
            if stop { return }
            for item in batch { item() }
        }
    }

    /// Runs `work` on the thread, after what was queued before it.
    func async(_ item: @escaping @Sendable () -> Void) {
        condition.lock()
        work.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the work queued so far has run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}
