import Synchronization

/// Wakes job workers when a job is queued: `signal()` wakes every worker waiting now, or, when
/// none is, the next one to wait (a notification is never lost between two waits).
///
/// It replaces an `AsyncStream` shared by the workers, which broke for good the first time a
/// worker stopped waiting on its poll timeout: cancelling an iteration finishes the stream, and
/// every later wait returned at once, so the workers spun on the claim query (about 1,400
/// queries a second from one idle process).
final class WakeUps: Sendable {
    private struct State {
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var next = 0
        var pending = false
    }
    private let state = Mutex(State())

    func signal() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.pending = true
                return []
            }
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns on a signal, or after `timeout` at the latest.
    func wait(upTo timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return false
                }
                state.waiters[id] = continuation
                return true
            }
            guard waiting else { return continuation.resume() }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.resume(id)
            }
        }
    }

    private func resume(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }

    /// Wakes everyone for good (stopping).
    func finish() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }
}
