public import AppKernel
import HTTPServer
public import Jobs

/// Health endpoints for the load balancer (PRODUCT.md): liveness without the database and
/// readiness with a real `SELECT 1` under a short deadline; Prometheus metrics.
public struct OpsHealthModule: AppModule {
    public static let name = "ops_health"
    let app: AppContext
    let jobs: JobQueue?

    public init(app: AppContext, jobs: JobQueue? = nil) {
        self.app = app
        self.jobs = jobs
    }

    public func registerRoutes(on routes: RouteCollector) {
        let check = HealthCheck(app: app)
        let metrics = MetricsEndpoint(app: app, jobs: jobs)
        routes.get("/health/live") { _, _ in Self.liveResponse }
        routes.get("/health") { _, _ in await check.response() }
        routes.get("/metrics") { _, _ in await metrics.render() }
    }

    /// Built once: liveness must stay cheap under any load.
    private static let liveResponse: HTTPResponse = {
        var response = HTTPResponse(status: .ok, contentType: "application/json", body: Array(#"{"status":"ok"}"#.utf8))
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }()
}
