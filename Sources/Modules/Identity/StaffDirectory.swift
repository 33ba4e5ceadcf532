import AdminUI
public import AppKernel
import Audit
import Cryptography
public import Foundation
public import Postgres

/// The staff side of identity (OPS.md): accounts apart from drivers, password then TOTP,
/// single-use recovery codes, server-side sessions. Secrets never leave in the clear except
/// once, to the person they belong to.
public struct StaffDirectory: Sendable {
    let app: AppContext
    var config: IdentityConfig { get throws { try app.config.section(IdentityConfig.self) } }
    var hasher: PasswordHasher { get throws { PasswordHasher(iterations: try config.passwordHashIterations) } }
    var box: SealedBox { get throws { SealedBox(key: try config.staffMFAKey) } }

    public static let cookieName = "__Host-hg_admin"
    /// OPS.md: 30 minutes idle, 12 hours at most.
    public static let idleTimeout: TimeInterval = 30 * 60
    public static let absoluteTimeout: TimeInterval = 12 * 3600
    static let setupLifetime: TimeInterval = 72 * 3600
    static let recoveryCodeCount = 10

    public init(app: AppContext) { self.app = app }

    /// What a new account's owner is told once (OPS.md's `hourglass staff create` output).
    public struct Enrolment: Sendable {
        public let member: StaffMember
        public let totpSecret: String
        public let otpauthURI: String
        public let recoveryCodes: [String]
        /// Without a password: where to set one (72 hours, once).
        public let passwordSetupURL: String?
    }

    /// Creates an account with its TOTP secret and recovery codes; without `password`, with a
    /// one-time link to set one.
    public func create(email: String, name: String?, role: StaffRole, password: String?, baseURL: String,
                       on outer: PostgresConnection? = nil) async throws -> Enrolment {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.contains("@"), (3...254).contains(email.count) else { throw AppError.invalid("an email address is needed") }
        if let password { try Self.checkPassword(password) }
        var passwordHash: String?
        if let password { passwordHash = try await hasher.hash(password) }
        let secret = TOTP.newSecret()
        let codes = Self.newRecoveryCodes()
        let id = UUID()
        let setupToken = password == nil ? AccessToken.generate() : nil
        let sealed = try box.seal(secret)
        let insert = { (transaction: PostgresConnection) async throws -> StaffMember in
            let store = IdentityStore(database: transaction)
            guard try await store.staffSecrets(email: email) == nil else { throw AppError.conflict("\(email) has a staff account already") }
            try await store.insertStaff(id: id, email: email, name: name?.nonBlank ?? String(email.split(separator: "@")[0]), role: role,
                                        passwordHash: passwordHash, sealedTOTPSecret: sealed)
            try await store.replaceRecoveryCodes(staffID: id, hashes: codes.map(Self.recoveryHash))
            if let setupToken {
                try await store.insertPasswordSetup(hash: AccessToken.hash(setupToken), staffID: id,
                                                    expiresAt: app.clock.now().addingTimeInterval(Self.setupLifetime))
            }
            guard let member = try await store.staff(id: id) else { throw AppError.notFound("the new account vanished") }
            try await Audit.record("staff.created", AuditObject("staff", id), after: try Audit.snapshot(member), on: transaction)
            return member
        }
        // Inside an approved staff action, its transaction; otherwise (the command line) our own.
        let member = if let outer { try await insert(outer) } else { try await app.database.withTransaction { try await insert($0) } }
        return Enrolment(member: member, totpSecret: Base32.encode(secret), otpauthURI: Self.otpauthURI(email: email, secret: secret),
                         recoveryCodes: codes, passwordSetupURL: setupToken.map { "\(baseURL)/admin/setup?token=\($0)" })
    }

    public static func otpauthURI(email: String, secret: [UInt8]) -> String {
        let label = AdminHTML.percentEncode("Hourglass:\(email)")
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=Hourglass&algorithm=SHA1&digits=6&period=30"
    }

    static func checkPassword(_ password: String) throws {
        guard (12...128).contains(password.unicodeScalars.count) else {
            throw AppError.invalid("a staff password has 12 to 128 characters", fields: [FieldError(field: "password", message: "must be 12 to 128 characters")])
        }
    }

    /// `ABCDE-FGHIJ`: 50 random bits each, shown once; only their hashes are kept.
    static func newRecoveryCodes() -> [String] {
        (0..<recoveryCodeCount).map { _ in
            let text = Base32.encode(Digest.randomBytes(7)).prefix(10)
            return "\(text.prefix(5))-\(text.suffix(5))"
        }
    }

    static func recoveryHash(_ code: String) -> Data {
        Data(Digest.sha256(Array(code.uppercased().filter { $0.isLetter || $0.isNumber }.utf8)))
    }

    /// The current TOTP code of an account (tests and the demo script type it like a phone would).
    public func currentCode(email: String) async throws -> String? {
        guard let secrets = try await IdentityStore(database: app.database).staffSecrets(email: email.lowercased()),
              let secret = try box.open(secrets.sealedTOTPSecret) else { return nil }
        let totp = TOTP(secret: secret)
        return totp.code(step: totp.step(at: Int64(app.clock.now().timeIntervalSince1970)))
    }

    // MARK: Sessions

    /// A new session's cookie value and the hash stored for it.
    static func newSessionToken() -> (cookie: String, hash: Data) {
        let cookie = "hgs_" + Data(Digest.randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (cookie, Data(Digest.sha256(Array(cookie.utf8))))
    }

    static func sessionHash(_ cookie: String) -> Data { Data(Digest.sha256(Array(cookie.utf8))) }

    static func newCSRFToken() -> String { Digest.randomBytes(24).hexString }

    public func members() async throws -> [StaffMember] { try await IdentityStore(database: app.database).allStaff() }
}

extension String {
    var nonBlank: String? {
        let trimmed = trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
