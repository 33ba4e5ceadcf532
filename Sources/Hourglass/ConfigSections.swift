import AppKernel
import Drivers
import Identity
import OpsHealth
import Payments
import WorkProviders

/// Every module's declared settings: a config file may hold only their keys and the
/// platform's (`AppConfig.knownKeys`). Each is read only by the commands that build its module.
let configSections: [any ConfigSection.Type] = [
    IdentityConfig.self,
    OpsHealthConfig.self,
    DriversConfig.self,
    PaymentsConfig.self,
    WorkProvidersConfig.self,
]
