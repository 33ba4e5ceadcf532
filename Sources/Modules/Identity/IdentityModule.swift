public import AdminUI
public import AppKernel

/// Credentials and bearer tokens (PRODUCT.md: identity), drivers' and staff's. Installs the
/// driver authenticator every `.driver` endpoint relies on, and the staff one of the admin.
public struct IdentityModule: AppModule, AdminContributing {
    public static let name = "identity"
    let identity: Identity
    let staff: StaffDirectory

    public init(identity: Identity, staff: StaffDirectory) {
        self.identity = identity
        self.staff = staff
    }

    public var endpoints: [Endpoint] { IdentityRoutes(identity: identity).endpoints }

    public var authenticators: [Access: any Authenticator] {
        [.driver: DriverAuthenticator(identity: identity), .staff: StaffAuthenticator(directory: staff)]
    }

    public var adminSection: any AdminSection { IdentityAdmin(directory: staff) }
}
