public import AdminUI
public import AppKernel
public import Identity
public import Jobs

/// Work-provider links and the signed shift-event inbox (PRODUCT.md: work_providers). Installs
/// the providers' signature check and tells providers when cover pauses, resumes or is cut.
public struct WorkProvidersModule: AppModule, AdminContributing {
    public static let name = "work_providers"
    let routes: WorkProvidersRoutes

    public init(app: AppContext, config: WorkProvidersConfig, identity: Identity, jobs: JobQueue) {
        routes = WorkProvidersRoutes(app: app, identity: identity, jobs: jobs, config: config)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var authenticators: [Access: any Authenticator] {
        [.workProvider: ProviderSignatureAuthenticator(providers: routes.config.byName, secrets: ProviderSecrets.shared(app: routes.app),
                                                      secretsKey: routes.config.secretsKey, clock: routes.app.clock)]
    }

    public var adminSection: any AdminSection { WorkProvidersAdmin(app: routes.app, config: routes.config, identity: routes.identity, jobs: routes.jobs) }
}
