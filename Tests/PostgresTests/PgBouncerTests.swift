import Foundation
import Glibc
import Postgres
import TestSupport
import Testing

/// A throwaway PgBouncer in transaction mode in front of the test cluster, on a free port, for
/// as long as the test runs. PgBouncer refuses to run as root, so as root it switches to
/// `postgres` (the cluster's owner, as scripts/lib/common.sh runs PostgreSQL).
final class TestPgBouncer: Sendable {
    static let executable = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let port: UInt16
    let directory: URL
    let process: ChildProcess
    let database: String

    init(poolSize: Int) throws {
        guard let executable = Self.executable else { throw TestClientError.malformed("pgbouncer is not installed") }
        guard let target = URLComponents(string: TestDatabase.url), let host = target.host, let backendPort = target.port else {
            throw TestClientError.malformed("TEST_DATABASE_URL is not a postgresql:// URL with a host and port")
        }
        database = String(target.path.dropFirst())
        port = try ServerProcess.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgbouncer-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o777])
        let users = Set([target.user, URLComponents(string: TestDatabase.ownerURL)?.user].compactMap { $0 })
        try users.map { "\"\($0)\" \"\"" }.joined(separator: "\n").write(to: directory.appendingPathComponent("users.txt"), atomically: true, encoding: .utf8)
        try """
            [databases]
            \(database) = host=\(host) port=\(backendPort) dbname=\(database)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory.path)/users.txt
            pool_mode = transaction
            default_pool_size = \(poolSize)
            logfile = \(directory.path)/pgbouncer.log
            """.write(to: directory.appendingPathComponent("pgbouncer.ini"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("pgbouncer.ini").path
        // `-u`, not runuser: runuser forwards SIGTERM and then waits two seconds before SIGKILL.
        process = try ChildProcess(executable: URL(fileURLWithPath: executable), arguments: (getuid() == 0 ? ["-u", "postgres"] : []) + [config],
                                   environment: [:], directory: directory, standardOutput: .discard, standardError: .discard)
    }

    /// The runtime role's URL, through PgBouncer.
    var url: String {
        var components = URLComponents(string: TestDatabase.url)!
        components.port = Int(port)
        return components.string!
    }

    /// Waits until PgBouncer accepts a connection.
    func ready() async throws {
        for _ in 0..<100 {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: port.bigEndian,
                                      sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(socket)
            if connected == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestClientError.malformed("pgbouncer did not start: \((try? String(contentsOf: directory.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? "")")
    }

    /// SIGKILL: a throwaway with nothing to flush, and a child spawned from the test process
    /// inherits its blocked signals, so SIGTERM may never arrive. Polls for a bounded second
    /// rather than waiting without limit for the exit.
    func stop() async {
        process.signal(SIGKILL)
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a fresh PgBouncer in front of the test cluster, stopped before it
    /// returns or throws (a `defer { Task { … } }` may never run before the test process exits).
    static func with<T>(poolSize: Int, _ body: (TestPgBouncer) async throws -> T) async throws -> T {
        let bouncer = try TestPgBouncer(poolSize: poolSize)
        do {
            try await bouncer.ready()
            let result = try await body(bouncer)
            await bouncer.stop()
            return result
        } catch {
            await bouncer.stop()
            throw error
        }
    }
}

/// The pool as it runs behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer).
@Suite(.tags(.database), .enabled(if: TestPgBouncer.executable != nil, "pgbouncer is not installed"))
struct PgBouncerTests {
    func configuration(_ bouncer: TestPgBouncer) -> PostgresConfiguration {
        var configuration = PostgresConfiguration(url: bouncer.url)
        configuration.pooler = .pgbouncer
        configuration.usesPreparedStatements = false
        configuration.directURL = TestDatabase.url
        configuration.applicationName = "hourglass-tests"
        return configuration
    }

    /// PgBouncer 1.18 refuses the startup `options` parameter, which is why pooled connections
    /// must not send the session settings, and does pass the database's defaults through.
    @Test func pooledConnectionsSendNoStartupOptionsAndGetTheDefaults() async throws {
        try await TestPgBouncer.with(poolSize: 2) { bouncer in
            var direct = configuration(bouncer)
            direct.pooler = .none
            await #expect(throws: PostgresError.self) { _ = try await PostgresConnection.connect(direct) }

            let pool = PostgresPool(configuration: configuration(bouncer), options: .init(maxConnections: 4))
            let problem = try await pool.queryOne(PostgresConfiguration.sessionSettingsQuery) { try PostgresConfiguration.sessionSettingsProblem($0) }
            #expect(problem == nil)
            #expect(try await pool.queryValue("SELECT now()::text", as: String.self).hasSuffix("+00"))
            await pool.close()
        }
    }

    /// Twelve concurrent tasks over 8 client connections and 2 server connections: every
    /// statement of a transaction runs on the same server connection, and bound parameters
    /// travel as unnamed statements.
    @Test func transactionsKeepTheirStatementsTogether() async throws {
        try await TestPgBouncer.with(poolSize: 2) { bouncer in
            let pool = PostgresPool(configuration: configuration(bouncer), options: .init(maxConnections: 8))
            let backends = try await withThrowingTaskGroup(of: Set<Int32>.self) { group in
                for writer in 0..<12 {
                    group.addTask {
                        var seen: Set<Int32> = []
                        for round in 0..<10 {
                            try await pool.withTransaction { transaction in
                                let pid = try await transaction.queryValue("SELECT pg_backend_pid()", as: Int32.self)
                                #expect(try await transaction.queryValue("SELECT \(Int64(writer * 100 + round)) + 1", as: Int64.self)
                                        == Int64(writer * 100 + round + 1))
                                #expect(try await transaction.queryValue("SELECT pg_backend_pid()", as: Int32.self) == pid)
                                seen.insert(pid)
                            }
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.formUnion($1) }
            }
            // PgBouncer really shared its two server connections among the pool's eight.
            #expect(backends.count <= 2)
            await pool.close()
        }
    }

    /// LISTEN goes to the direct URL (`configuration.direct`); NOTIFY may go through PgBouncer,
    /// since it is delivered when its transaction commits.
    @Test func listenUsesTheDirectURLAndHearsNotifiesSentThroughThePooler() async throws {
        try await TestPgBouncer.with(poolSize: 2) { bouncer in
            let pooled = configuration(bouncer)
            #expect(pooled.direct.url == TestDatabase.url)
            #expect(pooled.direct.pooler == .none)
            let channel = "bouncer_\(UUID().uuidString.prefix(8).lowercased())"
            let listener = PostgresListener(configuration: pooled.direct, channels: [channel])
            defer { listener.stop() }
            var events = listener.events.makeAsyncIterator()
            #expect(await events.next() == .listening)
            let pool = PostgresPool(configuration: pooled, options: .init(maxConnections: 2))
            _ = try await pool.query("SELECT pg_notify(\(channel), \("through pgbouncer"))")
            #expect(await events.next() == .notification(channel: channel, payload: "through pgbouncer"))
            await pool.close()
        }
    }
}
