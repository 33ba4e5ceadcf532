public import AppKernel

/// The driver's in-app feed (PRODUCT.md: notifications).
public struct NotificationsModule: AppModule {
    public static let name = "notifications"
    let routes: NotificationsRoutes

    public init(app: AppContext) { routes = NotificationsRoutes(app: app) }

    public var endpoints: [Endpoint] { routes.endpoints }
}
