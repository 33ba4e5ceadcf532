public import AdminUI
public import AppKernel

/// The driver's in-app feed (PRODUCT.md: notifications).
public struct NotificationsModule: AppModule, AdminContributing {
    public static let name = "notifications"
    let routes: NotificationsRoutes

    public init(app: AppContext) { routes = NotificationsRoutes(app: app) }

    public var endpoints: [Endpoint] { routes.endpoints }

    public var adminSection: any AdminSection { NotificationsAdmin(app: routes.app) }
}
