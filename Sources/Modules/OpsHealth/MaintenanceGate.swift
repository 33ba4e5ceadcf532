public import AppKernel
import FeatureFlags
public import HTTPServer

/// Maintenance mode (OPS.md): while on, the driver API (and sign-up, login, test clocks) answers
/// 503 problem+json with `Retry-After`. Health checks, provider events, card processor webhooks,
/// the API document and the whole admin keep working: events and webhooks are still accepted
/// and stored, so nothing a partner sends is lost.
struct MaintenanceGate: RequestGate {
    let flags: FeatureFlags

    func intercept(_ endpoint: Endpoint, _ context: RequestContext) async -> HTTPResponse? {
        guard endpoint.documented, endpoint.access == .driver || endpoint.access == .anyone, endpoint.tag != "ops" else { return nil }
        guard await flags.bool(OpsHealthFlags.maintenanceMode) else { return nil }
        let retryAfter = await flags.integer(OpsHealthFlags.maintenanceRetryAfter)
        let error = AppError(status: .serviceUnavailable, slug: "maintenance",
                             detail: "Hourglass is down for maintenance; try again in a few minutes. Cover already running continues.",
                             headers: ["retry-after": String(retryAfter)])
        return ProblemDetails.response(for: error, requestID: context.requestID)
    }
}
