public import Foundation
public import Glibc

/// A child process for the tests (`hourglass serve`, `migrate`, `grant-promo`), started with
/// posix_spawn rather than Foundation's `Process`: on Linux, `Process.run()` copies whole
/// `struct dirent` records while it walks /proc/self/fd and now and then reads past a mapped
/// page and crashes the whole test process (swift-corelibs-foundation PR #5472; seen in CI with
/// Swift 6.3.1). Descriptors of ours above stderr are closed in the child, as `Process` does.
public final class ChildProcess: @unchecked Sendable {
    /// Where the child's standard output or error goes.
    public enum Output: Sendable {
        case inherit, discard
        /// Appended to this file (created if missing).
        case file(String)
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static func glibc<Function>(_ name: String, as _: Function.Type) -> Function? {
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }

    public let processIdentifier: pid_t
    // Under `lock`: set once by the reaper thread; waiters of `waitUntilExit`.
    private let lock = NSLock()
    private var exitStatus: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    public init(executable: URL, arguments: [String], environment: [String: String], directory: URL,
                standardOutput: Output = .inherit, standardError: Output = .inherit) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, output) in [(STDOUT_FILENO, standardOutput), (STDERR_FILENO, standardError)] {
            switch output {
            case .inherit: break
            case .discard: posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            }
        }
        // glibc 2.29 and 2.34 have these; Swift's Glibc module does not import them, so look them up.
        guard let addChdir = Self.glibc("posix_spawn_file_actions_addchdir_np", as: AddChdir.self),
              let addCloseFrom = Self.glibc("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self) else {
            throw TestClientError.malformed("this C library cannot set a spawned process's directory or close its descriptors")
        }
        _ = addChdir(&actions, directory.path)
        _ = addCloseFrom(&actions, 3)
        let argv = [executable.path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&pid, executable.path, &actions, nil, argvPointers, envPointers)
            }
        }
        guard status == 0 else {
            throw TestClientError.malformed("cannot start \(executable.path): \(String(cString: strerror(status)))")
        }
        processIdentifier = pid
        // One thread of its own waits for the child (waitpid blocks): never a thread of the
        // cooperative pool, of which there are as many as cores, and which a few children
        // being waited for would stall for the whole test process (connection holders
        // included: the shared pool then ran dry).
        let reaper = Thread { [self] in self.reap() }
        reaper.name = "test.child.\(pid)"
        reaper.start()
    }

    /// True until the child has exited.
    public var isRunning: Bool { terminationStatus == nil }

    /// The exit status (or 128 + the signal that ended it); nil while it runs.
    public var terminationStatus: Int32? { lock.withLock { exitStatus } }

    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        Glibc.kill(processIdentifier, signal)
    }

    /// Waits for the child to exit and returns its status (no thread is blocked meanwhile).
    @discardableResult
    public func waitUntilExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = lock.withLock { () -> Int32? in
                if exitStatus == nil { waiters.append(continuation) }
                return exitStatus
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// On the reaper thread: waits for the child, records its status, wakes the waiters.
    private func reap() {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &status, 0) } while result < 0 && errno == EINTR
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the C macros are not imported).
        let signal = status & 0x7F
        let code: Int32 = result == processIdentifier ? (signal == 0 ? (status >> 8) & 0xFF : 128 + signal) : -1
        let woken = lock.withLock { () -> [CheckedContinuation<Int32, Never>] in
            exitStatus = code
            defer { waiters = [] }
            return waiters
        }
        for waiter in woken { waiter.resume(returning: code) }
    }
}

/// NUL-terminated C strings for argv and envp, alive for the call.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
