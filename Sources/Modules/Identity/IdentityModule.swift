public import AppKernel

/// Credentials and bearer tokens (PRODUCT.md: identity).
public struct IdentityModule: AppModule {
    public static let name = "identity"
    let identity: Identity

    public init(identity: Identity) { self.identity = identity }

    public func registerRoutes(on routes: RouteCollector) {
        let login = LoginRoutes(identity: identity)
        routes.post("/v1/auth/token", bodyLimit: 16 * 1024) { request, context in try await login.login(request, context) }
        routes.delete("/v1/auth/token") { request, context in try await login.logout(request, context) }
    }
}
