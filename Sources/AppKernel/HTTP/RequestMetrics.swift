import Foundation
import Synchronization

/// Request counts and latency histograms per route and status, rendered in the Prometheus
/// text format (`GET /metrics`). One lock per request; the work under it is a dictionary bump.
public final class RequestMetrics: Sendable {
    /// Latency bucket bounds in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    struct Series {
        var count = 0
        var sum = 0.0
        var bucketCounts = [Int](repeating: 0, count: RequestMetrics.buckets.count)
    }

    private let series = Mutex<[Key: Series]>([:])

    struct RouteKey: Hashable {
        let method: String
        let route: String
    }

    /// Database statements sent by a route's requests: in all, and the most one request sent.
    public struct StatementUse: Sendable, Equatable {
        public var requests = 0
        public var statements = 0
        public var mostInOneRequest = 0
    }

    private let statementUse = Mutex<[RouteKey: StatementUse]>([:])

    public init() {}

    func record(method: String, route: String, status: Int, seconds: Double, statements: Int) {
        statementUse.withLock { all in
            var use = all[RouteKey(method: method, route: route), default: StatementUse()]
            use.requests += 1
            use.statements += statements
            use.mostInOneRequest = max(use.mostInOneRequest, statements)
            all[RouteKey(method: method, route: route)] = use
        }
        record(method: method, route: route, status: status, seconds: seconds)
    }

    /// The statements a route's requests have sent so far (the round-trip budget test reads it).
    public func statementUse(method: String, route: String) -> StatementUse {
        statementUse.withLock { $0[RouteKey(method: method, route: route)] } ?? StatementUse()
    }

    private func record(method: String, route: String, status: Int, seconds: Double) {
        series.withLock { all in
            var entry = all[Key(method: method, route: route, status: status), default: Series()]
            entry.count += 1
            entry.sum += seconds
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { entry.bucketCounts[index] += 1 }
            all[Key(method: method, route: route, status: status)] = entry
        }
    }

    /// The Prometheus exposition of everything recorded so far.
    public func render() -> String {
        let snapshot = series.withLock { $0 }.sorted { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }
        var out = "# HELP hourglass_http_requests_total HTTP requests answered, by route and status.\n"
        out += "# TYPE hourglass_http_requests_total counter\n"
        for (key, value) in snapshot {
            out += "hourglass_http_requests_total{\(labels(key))} \(value.count)\n"
        }
        out += "# HELP hourglass_http_request_duration_seconds Time to answer, by route.\n"
        out += "# TYPE hourglass_http_request_duration_seconds histogram\n"
        for (key, value) in snapshot {
            for (index, bound) in Self.buckets.enumerated() {
                out += "hourglass_http_request_duration_seconds_bucket{\(labels(key)),le=\"\(bound)\"} \(value.bucketCounts[index])\n"
            }
            out += "hourglass_http_request_duration_seconds_bucket{\(labels(key)),le=\"+Inf\"} \(value.count)\n"
            out += "hourglass_http_request_duration_seconds_sum{\(labels(key))} \(value.sum)\n"
            out += "hourglass_http_request_duration_seconds_count{\(labels(key))} \(value.count)\n"
        }
        let uses = statementUse.withLock { $0 }.sorted { ($0.key.route, $0.key.method) < ($1.key.route, $1.key.method) }
        out += "# HELP hourglass_db_statements_total Database statements (round trips) sent by a route's requests.\n"
        out += "# TYPE hourglass_db_statements_total counter\n"
        for (key, use) in uses {
            out += "hourglass_db_statements_total{method=\"\(key.method)\",route=\"\(escape(key.route))\"} \(use.statements)\n"
        }
        out += "# HELP hourglass_db_statements_per_request_max The most statements one request of the route sent.\n"
        out += "# TYPE hourglass_db_statements_per_request_max gauge\n"
        for (key, use) in uses {
            out += "hourglass_db_statements_per_request_max{method=\"\(key.method)\",route=\"\(escape(key.route))\"} \(use.mostInOneRequest)\n"
        }
        return out
    }

    private func labels(_ key: Key) -> String {
        "method=\"\(key.method)\",route=\"\(escape(key.route))\",status=\"\(key.status)\""
    }

    private func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
