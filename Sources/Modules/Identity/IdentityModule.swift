public import AppKernel

/// Credentials and bearer tokens (PRODUCT.md: identity). Installs the driver authenticator
/// every `.driver` endpoint relies on.
public struct IdentityModule: AppModule {
    public static let name = "identity"
    let identity: Identity

    public init(identity: Identity) { self.identity = identity }

    public var endpoints: [Endpoint] { IdentityRoutes(identity: identity).endpoints }

    public var authenticators: [Access: any Authenticator] { [.driver: DriverAuthenticator(identity: identity)] }
}
