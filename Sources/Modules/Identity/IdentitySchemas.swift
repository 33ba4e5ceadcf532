public import AppKernel
import Foundation

/// The JSON the identity module speaks.
public enum IdentitySchemas {
    static let login = Schema.object(
        .required("email", .text(maxLength: 254)),
        .required("password", .string(.init(minLength: 1, maxLength: 1024))))

    /// A bearer token and when it expires.
    public static let token = SchemaComponent("Token", description: "A bearer token", .object(
        .required("token", .string(.init(pattern: "^hg_[A-Za-z0-9_-]+$")), "send it as Authorization: Bearer <token>"),
        .required("expires_at", .dateTime)))
}

struct LoginBody: Decodable {
    let email: String
    let password: String
}
