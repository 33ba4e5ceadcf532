import Synchronization
import Dispatch
import Glibc

/// The loop as an executor: task slices (jobs) and closures run on the loop's thread between
/// rounds of I/O. From the loop's own thread they are queued without a lock or a wake-up.
extension EventLoop: TaskExecutor {
    /// True on the loop's own thread. A thread-specific slot names the loop of each loop
    /// thread (a `pthread_t` would not do: the id of a finished loop's thread is reused by
    /// the next thread created, and jobs queued for a dead loop would never run).
    public var inEventLoop: Bool {
        pthread_getspecific(Self.currentLoopKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    /// Marks the calling thread as this loop's, for as long as it runs it.
    func claimThread() { pthread_setspecific(Self.currentLoopKey, Unmanaged.passUnretained(self).toOpaque()) }

    /// The thread no longer runs the loop: from now on everything arrives by message (or, the
    /// loop being stopped, runs on shared threads).
    func releaseThread() { pthread_setspecific(Self.currentLoopKey, nil) }

    static let currentLoopKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key for the event loops")
        return key
    }()

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if inEventLoop {
            readyJobs.append(job)
        } else if !post(.job(job)) {
            // The loop has stopped: the task must still run somewhere.
            let executor = asUnownedTaskExecutor()
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
        }
    }

    /// Runs `work` on the loop's thread soon; once the loop has stopped, on a shared thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop {
            readyWork.append(work)
        } else if !post(.work(work)) {
            DispatchQueue.global().async(execute: work)
        }
    }

    /// Runs what is ready now; what those jobs enqueue runs in the next round, after the loop
    /// has looked at its sockets again (so a chatty task cannot starve I/O).
    func runReadyWork() {
        let executor = asUnownedTaskExecutor()
        var rounds = 0
        while !readyJobs.isEmpty || !readyWork.isEmpty, rounds < 4 {
            rounds += 1
            let work = readyWork
            readyWork.removeAll(keepingCapacity: true)
            for item in work { item() }
            let jobs = readyJobs
            readyJobs.removeAll(keepingCapacity: true)
            for job in jobs { job.runSynchronously(on: executor) }
        }
    }

    /// After the loop's last round: whatever was still queued runs on shared threads.
    func handOffRemainingWork() {
        let executor = asUnownedTaskExecutor()
        for work in readyWork { DispatchQueue.global().async(execute: work) }
        for job in readyJobs { DispatchQueue.global().async { job.runSynchronously(on: executor) } }
        readyWork = []
        readyJobs = []
    }
}
