public import AppKernel

/// The driver's in-app feed (PRODUCT.md: notifications).
public struct NotificationsModule: AppModule {
    public static let name = "notifications"
    let routes: NotificationRoutes

    public init(app: AppContext) { routes = NotificationRoutes(app: app) }

    public var endpoints: [Endpoint] { routes.endpoints }
}
