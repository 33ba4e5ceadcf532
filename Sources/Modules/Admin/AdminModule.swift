public import AdminUI
public import AppKernel

/// The admin shell (OPS.md: module `admin`): mounts every module's admin section under
/// `/admin` with the checks of `AdminMount`, plus ops home, search and the stylesheet.
public struct AdminModule: AppModule {
    public static let name = "admin"
    let app: AppContext
    let sections: [any AdminSection]

    public init(app: AppContext, sections: [any AdminSection]) {
        self.app = app
        self.sections = sections
    }

    var shell: AdminShell {
        let own = AdminAdmin(app: app, sections: sections)
        return AdminShell(navigation: own.navigation + sections.flatMap(\.navigation), sandbox: app.config.environment.isSandbox)
    }

    /// Every admin page of the process, the shell's own first (for the role table test).
    public var pages: [AdminPage] {
        let own = AdminAdmin(app: app, sections: sections)
        return own.pages + ActionFlow(app: app, actions: own.actions + sections.flatMap(\.actions)).pages
            + sections.flatMap(\.pages)
    }

    public var endpoints: [Endpoint] {
        AdminMount(pages: pages, shell: shell, publicBaseURL: app.config.publicBaseURL).endpoints
    }
}
