import AppKernel
import OpsHealth

/// The one list of installed modules (Django's INSTALLED_APPS; STYLE.md C9).
func installedModules(_ app: AppContext) -> [any AppModule] {
    [
        OpsHealthModule(app: app),
    ]
}
