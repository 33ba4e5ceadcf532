public import AppKernel
import HTTPServer

/// Health endpoints for the load balancer (PRODUCT.md): liveness without the database and
/// readiness with a real `SELECT 1` under a short deadline. Metrics and maintenance mode join later.
public struct OpsHealthModule: AppModule {
    public static let name = "ops_health"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public func registerRoutes(on routes: RouteCollector) {
        let check = HealthCheck(app: app)
        routes.get("/health/live") { _, _ in Self.liveResponse }
        routes.get("/health") { _, _ in try await check.run().response() }
    }

    /// Built once: liveness must stay cheap under any load.
    private static let liveResponse: HTTPResponse = {
        var response = HTTPResponse(status: .ok, contentType: "application/json", body: Array(#"{"status":"ok"}"#.utf8))
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }()
}
