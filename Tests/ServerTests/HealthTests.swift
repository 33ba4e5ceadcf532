import Foundation
import Postgres
import TestSupport
import Testing

@Suite(.tags(.database)) struct HealthTests {
    /// Polls `/health` until it answers 200, for at most `seconds` (the issue's recovery bound).
    func becomesHealthy(_ client: TestConnection, within seconds: Double = 5) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await client.request("GET", "/health").status == 200 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func livenessAnswersWithoutTheDatabase() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let connection = try TestConnection(port: server.port)
        let response = try await connection.request("GET", "/health/live")
        #expect(response.status == 200)
        #expect(response.text == #"{"status":"ok"}"#)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("date") != nil)
        #expect(response.header("x-request-id") != nil)
        let head = try await connection.request("HEAD", "/health/live")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("content-length") == "15")
    }

    @Test func readinessRunsARealQuery() async throws {
        // What this checks is the answer, not the deadline (readinessAnswersWithinTheDeadline…
        // does): at the start of a run every suite starts servers at once on two cores, and a
        // fresh connection can take longer than the 1 s production deadline.
        let server = try Fixtures.server(config: ["HEALTH_DB_TIMEOUT_MS": "10000"])
        defer { Task { await server.stop() } }
        let connection = try TestConnection(port: server.port)
        let response = try await connection.request("GET", "/health")
        #expect(response.status == 200, "\(response.text)")
        let body = try response.json()
        #expect(body["status"] as? String == "ok")
        let checks = try #require(body["checks"] as? [String: Any])
        let database = try #require(checks["database"] as? [String: Any])
        #expect(database["status"] as? String == "ok")
        #expect(database["duration_ms"] is Double || database["duration_ms"] is Int)
        let migrations = try #require(checks["migrations"] as? [String: Any])
        #expect(migrations["status"] as? String == "ok")
        #expect(migrations["version"] as? Int == Fixtures.repositorySchemaVersion)
        let head = try await connection.request("HEAD", "/health")
        #expect(head.status == 200 && head.body.isEmpty)
    }

    /// The load balancer's view of an outage: the database goes away, /health turns 503 within
    /// a second while /health/live stays 200, and recovers on its own when the database is back.
    @Test func readinessFollowsTheDatabaseDownAndBackUp() async throws {
        let proxy = try FaultyTCPProxy(upstreamPort: Fixtures.databasePort)
        defer { proxy.stop() }
        var configuration = PostgresConfiguration(url: TestDatabase.url.replacingOccurrences(
            of: ":\(Fixtures.databasePort)/", with: ":\(proxy.port)/"))
        configuration.connectTimeout = .seconds(2)
        let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 4))
        let server = try Fixtures.server(database: pool, config: ["HEALTH_DB_TIMEOUT_MS": "1000"])
        defer { Task { await server.stop(); await pool.close() } }
        let client = try TestConnection(port: server.port)
        // A cold start through the proxy (a new session, its handshake) on a machine busy with
        // the rest of the suite can take seconds; the outage behaviour below is what is timed.
        #expect(try await becomesHealthy(client, within: 20))

        proxy.set(.down)
        let start = ContinuousClock.now
        let down = try await client.request("GET", "/health")
        #expect(down.status == 503)
        #expect(ContinuousClock.now - start < .seconds(1.2))
        let checks = try #require(try down.json()["checks"] as? [String: Any])
        #expect((checks["database"] as? [String: Any])?["status"] as? String == "error")
        #expect(try await client.request("GET", "/health/live").status == 200)

        proxy.set(.up)
        #expect(try await becomesHealthy(client))
    }

    @Test func readinessAnswersWithinTheDeadlineWhenTheDatabaseHangs() async throws {
        let proxy = try FaultyTCPProxy(upstreamPort: Fixtures.databasePort)
        defer { proxy.stop() }
        let url = TestDatabase.url.replacingOccurrences(of: ":\(Fixtures.databasePort)/", with: ":\(proxy.port)/")
        let pool = PostgresPool(configuration: PostgresConfiguration(url: url), options: .init(maxConnections: 4))
        let server = try Fixtures.server(database: pool, config: ["HEALTH_DB_TIMEOUT_MS": "500"])
        defer { Task { await server.stop(); await pool.close() } }
        let client = try TestConnection(port: server.port)
        // A cold start through the proxy (a new session, its handshake) on a machine busy with
        // the rest of the suite can take seconds; the outage behaviour below is what is timed.
        #expect(try await becomesHealthy(client, within: 20))

        // Established sessions stall and new ones never finish their handshake.
        proxy.set(.hang)
        for _ in 0..<2 {
            let start = ContinuousClock.now
            let response = try await client.request("GET", "/health")
            #expect(response.status == 503)
            #expect(ContinuousClock.now - start < .seconds(1))
        }
        proxy.set(.up)
        #expect(try await becomesHealthy(client))
    }

    @Test func metricsCountRequestsPerRoute() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        for _ in 0..<3 { _ = try await client.request("GET", "/health/live") }
        _ = try await client.request("GET", "/nowhere")
        let metrics = try await client.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
        #expect(metrics.text.contains(#"hourglass_http_requests_total{method="GET",route="/health/live",status="200"} 3"#))
        #expect(metrics.text.contains(#"hourglass_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        #expect(metrics.text.contains(#"hourglass_http_request_duration_seconds_bucket{method="GET",route="/health/live",status="200",le="+Inf"} 3"#))
        #expect(metrics.text.contains("hourglass_db_pool_connections{state=\"open\"}"))
        #expect(metrics.text.contains("hourglass_jobs{status=\"queued\"}") && metrics.text.contains("hourglass_jobs{status=\"cancelled\"}"), "every job status, cancelled (by staff) included")
    }
}
