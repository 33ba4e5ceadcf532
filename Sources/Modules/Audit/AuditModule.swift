public import AdminUI
import HTTPServer
public import AppKernel

/// Audit (OPS.md: module `audit`): the append-only trail of who did what, from every channel.
public struct AuditModule: AppModule, AdminContributing {
    public static let name = "audit"
    let app: AppContext

    public init(app: AppContext) { self.app = app }

    public var adminSection: any AdminSection { AuditAdmin(app: app) }
}
