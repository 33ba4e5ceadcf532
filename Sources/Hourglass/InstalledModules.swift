import AppKernel
import Drivers
import Identity
import OpsHealth
import Policies
import Quotes
import Vehicles

/// The one list of installed modules (Django's INSTALLED_APPS; STYLE.md C9), with the
/// module APIs they share built once here.
func installedModules(_ app: AppContext, dueWork: DueWorkRegistry) -> [any AppModule] {
    let identity = Identity(app: app)
    return [
        OpsHealthModule(app: app),
        TestClocksModule(app: app, dueWork: dueWork),
        IdentityModule(identity: identity),
        DriversModule(app: app, identity: identity),
        VehiclesModule(app: app, identity: identity),
        QuotesModule(app: app, identity: identity),
        PoliciesModule(app: app, identity: identity),
        OpenAPIModule(sandbox: app.config.environment.isSandbox),
    ]
}
