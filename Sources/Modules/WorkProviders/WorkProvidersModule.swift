public import AppKernel
public import Identity
public import Jobs
public import Wallet

/// Work-provider links and the signed shift-event inbox (PRODUCT.md: work_providers). Installs
/// the providers' signature check and tells providers when cover pauses, resumes or is cut.
public struct WorkProvidersModule: AppModule {
    public static let name = "work_providers"
    let routes: WorkProvidersRoutes

    public init(app: AppContext, identity: Identity, jobs: JobQueue, pauseListeners: PauseListeners) {
        routes = WorkProvidersRoutes(app: app, identity: identity, jobs: jobs)
        ProviderNotices(app: app, jobs: jobs).register(pauseListeners)
    }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var authenticators: [Access: any Authenticator] {
        let app = routes.app
        return [.workProvider: ProviderSignatureAuthenticator(
            providers: Dictionary(uniqueKeysWithValues: app.config.workProviders.map { ($0.name, $0) }), clock: app.clock)]
    }
}
