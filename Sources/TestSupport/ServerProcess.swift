public import Foundation
import Glibc

/// The real `hourglass serve` executable in a child process, for drills a test process cannot
/// do to itself: SIGKILL in the middle of a request, then a restart on the same port.
public final class ServerProcess: @unchecked Sendable {
    public let port: UInt16
    private let environment: [String: String]
    private var process: ChildProcess?

    /// The executable `scripts/test` built (`HOURGLASS_BIN`), or the debug build's.
    public static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["HOURGLASS_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return TestServer.repositoryRoot.appendingPathComponent(".build/debug/hourglass")
    }

    /// A free loopback port right now (bound, read, released).
    public static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestClientError.malformed("no free port") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// `environment` is added to this process's own (the test environment's secrets and
    /// settings), with `PORT` and `HOST` set.
    public init(port: UInt16, environment: [String: String]) {
        self.port = port
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        merged["PORT"] = String(port)
        merged["HOST"] = "127.0.0.1"
        self.environment = merged
    }

    /// Starts `hourglass serve` and waits until `/health/live` answers.
    public func start() async throws {
        // Its log goes to stderr, which the test run shows.
        let process = try ChildProcess(executable: Self.executable, arguments: ["serve"], environment: environment,
                                       directory: TestServer.repositoryRoot, standardOutput: .discard)
        self.process = process
        for _ in 0..<200 {
            if let connection = try? TestConnection(port: port, timeout: 1),
               let response = try? await connection.request("GET", "/health/live"), response.status == 200 {
                return
            }
            guard process.isRunning else { throw TestClientError.malformed("hourglass serve exited with \(process.terminationStatus ?? -1)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestClientError.malformed("hourglass serve did not come up on port \(port)")
    }

    /// Kills the server with SIGKILL (no drain, no cleanup) and waits for it to be gone.
    public func kill() async {
        guard let process, process.isRunning else { return }
        process.signal(SIGKILL)
        await process.waitUntilExit()
    }

    /// A graceful stop (SIGTERM), for the end of a test.
    public func stop() async {
        guard let process, process.isRunning else { return }
        process.signal(SIGTERM)
        await process.waitUntilExit()
    }
}
