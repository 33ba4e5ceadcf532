import Foundation
import Logging
import Postgres
import Synchronization

/// Runs `count` workers until stopped: each claims and runs jobs while any are due, then
/// sleeps until a NOTIFY, or at most `pollInterval` (a missed notification costs a second,
/// never a job).
public final class JobWorkers: Sendable {
    let queue: JobQueue
    let count: Int
    let pollInterval: Duration
    private let stopped = Atomic<Bool>(false)
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let listener: PostgresListener
    private let wakeups = WakeUps()

    public init(queue: JobQueue, count: Int, pollInterval: Duration = .seconds(1)) {
        self.queue = queue
        self.count = count
        self.pollInterval = pollInterval
        // LISTEN is session state: it needs a direct connection, never PgBouncer's transaction mode.
        listener = PostgresListener(configuration: queue.database.configuration.direct, channels: [JobQueue.channel])
    }

    public func start() {
        let name = ProcessInfo.processInfo.hostName + ":" + String(ProcessInfo.processInfo.processIdentifier)
        var started: [Task<Void, Never>] = []
        started.append(Task { [listener, wakeups] in
            for await _ in listener.events { wakeups.signal() }
        })
        for index in 0..<count {
            let worker = "\(name):\(index)"
            started.append(Task { await self.loop(worker: worker) })
        }
        started.append(Task {
            while !self.stopped.load(ordering: .relaxed) {
                try? await self.queue.planRecurring()
                try? await Task.sleep(for: .seconds(5))
            }
        })
        tasks.withLock { $0 = started }
    }

    private func loop(worker: String) async {
        while !stopped.load(ordering: .relaxed) {
            do {
                if try await queue.runNext(worker: worker) { continue }
            } catch {
                queue.logger.error("job worker error", metadata: ["worker": "\(worker)", "error": "\(error)"])
            }
            // Nothing due: wait for a NOTIFY or the poll interval, whichever comes first.
            queue.idleWaits.add(1, ordering: .relaxed)
            await wakeups.wait(upTo: pollInterval)
        }
    }

    /// Stops taking jobs; a job already running finishes.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        listener.stop()
        wakeups.finish()
    }
}
