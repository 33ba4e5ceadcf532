public import AdminUI
public import AppKernel
import Cryptography
public import FeatureFlags
import HTTPServer
public import Jobs

/// Health endpoints for the load balancer (PRODUCT.md): liveness without the database and
/// readiness with a real `SELECT 1` under a short deadline; Prometheus metrics.
public struct OpsHealthModule: AppModule, AdminContributing {
    public static let name = "ops_health"
    let app: AppContext
    let jobs: JobQueue?
    let config: OpsHealthConfig
    let flags: FeatureFlags

    public init(app: AppContext, config: OpsHealthConfig, jobs: JobQueue? = nil, flags: FeatureFlags? = nil) {
        self.app = app
        self.config = config
        self.jobs = jobs
        self.flags = flags ?? FeatureFlags.shared(app: app)
    }

    public var requestGates: [any RequestGate] { [MaintenanceGate(flags: flags)] }

    public var adminSection: any AdminSection { OpsHealthAdmin(app: app, flags: flags) }

    static let status = SchemaComponent("Status", .object(.required("status", .oneOf(["ok"]))))
    static let check = Schema.object([
        .required("status", .oneOf(["ok", "error", "pending", "unknown"])),
        .optional("duration_ms", .number), .optional("error", .string),
        .optional("version", .anyInteger), .optional("expected_version", .anyInteger),
    ])
    static let health = SchemaComponent("Health", description: "Readiness: every check and its status", .object(
        .required("status", .oneOf(["ok", "error"])),
        .required("checks", .object(.required("database", check), .required("migrations", check)))))

    public var endpoints: [Endpoint] {
        let check = HealthCheck(app: app)
        let metrics = MetricsEndpoint(app: app, jobs: jobs)
        let config = config
        return [
            Endpoint(.get, "/health/live", id: "liveness", "Liveness: the process is up (no database)", tag: "ops", access: .anyone,
                     responses: [.json(200, "Up", Self.status.ref)], handler: { _ in Self.liveResponse }),
            Endpoint(.get, "/health", id: "readiness", "Readiness: the database answers and the schema is this build's", tag: "ops",
                     access: .anyone,
                     responses: [.json(200, "Ready", Self.health.ref), .json(503, "Not ready: the failing check says why", Self.health.ref)],
                     handler: { _ in await check.response() }),
            Endpoint(.get, "/metrics", id: "metrics",
                     "Prometheus metrics: requests, latency, pool, jobs (Authorization: Bearer <METRICS_TOKEN> when one is set)",
                     tag: "ops", access: .anyone,
                     responses: [ResponseSpec(200, "Prometheus text format", .media(["text/plain"])),
                                 .problem(401, "A METRICS_TOKEN is set and this request does not carry it"),
                                 .problem(404, "Production without a METRICS_TOKEN: metrics are not served")],
                     handler: { call in
                         if let token = config.metricsToken {
                             let given = call.request.headers["authorization"] ?? ""
                             guard Digest.constantTimeEquals(Array(given.utf8), Array("Bearer \(token)".utf8)) else {
                                 throw AppError.unauthorized("send Authorization: Bearer <METRICS_TOKEN>")
                             }
                         } else if !config.metricsOpen {
                             throw AppError.notFound("no resource at /metrics")
                         }
                         return await metrics.render()
                     }),
        ]
    }

    /// Built once: liveness must stay cheap under any load.
    private static let liveResponse: HTTPResponse = {
        var response = HTTPResponse(status: .ok, contentType: "application/json", body: Array(#"{"status":"ok"}"#.utf8))
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }()
}
