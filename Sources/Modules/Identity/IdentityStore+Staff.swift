import AppKernel
import Foundation
import Postgres

/// The staff side of the `identity` schema: accounts, recovery codes, password setups, sessions.
extension IdentityStore {
    struct StaffSecrets {
        let member: StaffMember
        let passwordHash: String?
        let sealedTOTPSecret: [UInt8]
        let totpLastStep: Int64
    }

    func insertStaff(id: UUID, email: String, name: String, role: StaffRole, passwordHash: String?, sealedTOTPSecret: [UInt8]) async throws {
        do {
            try await database.execute("""
                INSERT INTO identity.staff (id, email, name, role, password_hash, totp_secret)
                VALUES (\(id), \(email), \(name), \(role.rawValue), \(passwordHash), \(Data(sealedTOTPSecret)))
                """)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw AppError.conflict("a member of staff with this email already exists")
        }
    }

    func staffSecrets(email: String) async throws -> StaffSecrets? {
        try await database.queryOptional("""
            SELECT \(StaffMember.columns), password_hash, totp_secret, totp_last_step FROM identity.staff WHERE email = \(email)
            """, decode: Self.secrets(row:))
    }

    func staffSecrets(id: UUID) async throws -> StaffSecrets? {
        try await database.queryOptional("""
            SELECT \(StaffMember.columns), password_hash, totp_secret, totp_last_step FROM identity.staff WHERE id = \(id)
            """, decode: Self.secrets(row:))
    }

    static func secrets(row: PostgresRow) throws -> StaffSecrets {
        StaffSecrets(member: try StaffMember(row: row), passwordHash: try row.decode(String?.self, at: 7),
                     sealedTOTPSecret: Array(try row.decode(Data.self, at: 8)), totpLastStep: try row.decode(Int64.self, at: 9))
    }

    func staff(id: UUID) async throws -> StaffMember? {
        try await database.queryOptional("SELECT \(StaffMember.columns) FROM identity.staff WHERE id = \(id)", decode: StaffMember.init(row:))
    }

    func allStaff() async throws -> [StaffMember] {
        try await database.queryAll("SELECT \(StaffMember.columns) FROM identity.staff ORDER BY disabled_at NULLS FIRST, name, email",
                                    decode: StaffMember.init(row:))
    }

    /// Accepts a TOTP step only if it is later than the last one accepted (a code never works
    /// twice, nor an older one); false when another request took it first.
    func acceptTOTPStep(staffID: UUID, step: Int64) async throws -> Bool {
        try await database.queryOptional("""
            UPDATE identity.staff SET totp_last_step = \(step) WHERE id = \(staffID) AND totp_last_step < \(step) RETURNING id
            """) { try $0.decode(UUID.self, at: 0) } != nil
    }

    func replaceTOTPSecret(staffID: UUID, sealed: [UInt8]) async throws {
        try await database.execute("UPDATE identity.staff SET totp_secret = \(Data(sealed)), totp_last_step = 0 WHERE id = \(staffID)")
    }

    func setPassword(staffID: UUID, hash: String) async throws {
        try await database.execute("UPDATE identity.staff SET password_hash = \(hash) WHERE id = \(staffID)")
    }

    func setRole(staffID: UUID, role: StaffRole) async throws {
        try await database.execute("UPDATE identity.staff SET role = \(role.rawValue) WHERE id = \(staffID)")
    }

    func setDisabled(staffID: UUID, at: Date?) async throws {
        try await database.execute("UPDATE identity.staff SET disabled_at = \(at) WHERE id = \(staffID)")
    }

    // MARK: Recovery codes

    func replaceRecoveryCodes(staffID: UUID, hashes: [Data]) async throws {
        try await database.execute("DELETE FROM identity.staff_recovery_codes WHERE staff_id = \(staffID)")
        for hash in hashes {
            try await database.execute("INSERT INTO identity.staff_recovery_codes (staff_id, code_hash) VALUES (\(staffID), \(hash))")
        }
    }

    /// Spends a recovery code: true once, false ever after (or for a code that is not theirs).
    func useRecoveryCode(staffID: UUID, hash: Data) async throws -> Bool {
        try await database.queryOptional("""
            UPDATE identity.staff_recovery_codes SET used_at = now()
            WHERE staff_id = \(staffID) AND code_hash = \(hash) AND used_at IS NULL RETURNING staff_id
            """) { try $0.decode(UUID.self, at: 0) } != nil
    }

    func unusedRecoveryCodes(staffID: UUID) async throws -> Int {
        try await database.queryValue("SELECT count(*)::int8 FROM identity.staff_recovery_codes WHERE staff_id = \(staffID) AND used_at IS NULL",
                                      as: Int.self)
    }

    // MARK: Password setup

    func insertPasswordSetup(hash: Data, staffID: UUID, expiresAt: Date) async throws {
        try await database.execute("""
            INSERT INTO identity.staff_password_setups (token_hash, staff_id, expires_at) VALUES (\(hash), \(staffID), \(expiresAt))
            """)
    }

    /// The staff id of a live setup token (not used, not expired), marking it used if `spend`.
    func passwordSetup(hash: Data, spend: Bool) async throws -> UUID? {
        if spend {
            return try await database.queryOptional("""
                UPDATE identity.staff_password_setups SET used_at = now()
                WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > now() RETURNING staff_id
                """) { try $0.decode(UUID.self, at: 0) }
        }
        return try await database.queryOptional("""
            SELECT staff_id FROM identity.staff_password_setups WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > now()
            """) { try $0.decode(UUID.self, at: 0) }
    }

    // MARK: Sessions

    struct LiveSession {
        let member: StaffMember
        let csrfToken: String
        let verifiedAt: Date?
        let sudoAt: Date?
        let lastSeenAt: Date
    }

    func insertSession(idHash: Data, staffID: UUID, csrfToken: String, at: Date, verifiedAt: Date?, sudoAt: Date?,
                       clientAddress: String, userAgent: String) async throws {
        try await database.execute("""
            INSERT INTO identity.staff_sessions (id_hash, staff_id, csrf_token, created_at, last_seen_at, verified_at, sudo_at, client_address, user_agent)
            VALUES (\(idHash), \(staffID), \(csrfToken), \(at), \(at), \(verifiedAt), \(sudoAt), \(clientAddress), \(String(userAgent.prefix(300))))
            """)
    }

    /// A session that is neither ended nor idle past `idleSince` nor older than `createdSince`,
    /// of a member of staff who is not disabled.
    func liveSession(idHash: Data, idleSince: Date, createdSince: Date) async throws -> LiveSession? {
        try await database.queryOptional("""
            SELECT \(StaffMember.columns.prefixed("s.")), x.csrf_token, x.verified_at, x.sudo_at, x.last_seen_at
            FROM identity.staff_sessions x JOIN identity.staff s ON s.id = x.staff_id
            WHERE x.id_hash = \(idHash) AND x.ended_at IS NULL AND x.last_seen_at > \(idleSince) AND x.created_at > \(createdSince)
              AND s.disabled_at IS NULL
            """) { row in
            LiveSession(member: try StaffMember(row: row), csrfToken: try row.decode(String.self, at: 7),
                        verifiedAt: try row.decode(Date?.self, at: 8), sudoAt: try row.decode(Date?.self, at: 9),
                        lastSeenAt: try row.decode(Date.self, at: 10))
        }
    }

    func touchSession(idHash: Data, at: Date) async throws {
        try await database.execute("UPDATE identity.staff_sessions SET last_seen_at = \(at) WHERE id_hash = \(idHash) AND ended_at IS NULL")
    }

    func setSudo(idHash: Data, at: Date) async throws {
        try await database.execute("UPDATE identity.staff_sessions SET sudo_at = \(at) WHERE id_hash = \(idHash) AND ended_at IS NULL")
    }

    /// Ends a session; false when it had already ended.
    @discardableResult
    func endSession(idHash: Data, at: Date, reason: String) async throws -> Bool {
        try await database.queryOptional("""
            UPDATE identity.staff_sessions SET ended_at = \(at), ended_reason = \(reason)
            WHERE id_hash = \(idHash) AND ended_at IS NULL RETURNING staff_id
            """) { try $0.decode(UUID.self, at: 0) } != nil
    }

    /// Ends one of `staffID`'s sessions named by the start of its hash (what the page shows).
    func endSession(staffID: UUID, publicID: String, at: Date, reason: String) async throws -> Bool {
        try await database.queryOptional("""
            UPDATE identity.staff_sessions SET ended_at = \(at), ended_reason = \(reason)
            WHERE staff_id = \(staffID) AND encode(id_hash, 'hex') LIKE \(publicID + "%") AND length(\(publicID)) = 32 AND ended_at IS NULL
            RETURNING staff_id
            """) { try $0.decode(UUID.self, at: 0) } != nil
    }

    func liveSessionCount(staffID: UUID, at instant: Date) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*)::int8 FROM identity.staff_sessions WHERE staff_id = \(staffID) AND ended_at IS NULL
            """, as: Int.self)
    }

    func endAllSessions(staffID: UUID, at: Date, reason: String) async throws {
        try await database.execute("""
            UPDATE identity.staff_sessions SET ended_at = \(at), ended_reason = \(reason) WHERE staff_id = \(staffID) AND ended_at IS NULL
            """)
    }

    func sessions(staffID: UUID, limit: Int) async throws -> [StaffSession] {
        try await database.queryAll("""
            SELECT id_hash, created_at, last_seen_at, verified_at, client_address, user_agent, ended_at, ended_reason
            FROM identity.staff_sessions WHERE staff_id = \(staffID) ORDER BY created_at DESC LIMIT \(limit)
            """, decode: StaffSession.init(row:))
    }
}

extension SQL {
    /// The column list with a table alias in front of each column.
    func prefixed(_ alias: String) -> SQL {
        SQL(unsafeSQL: text.split(separator: ",").map { alias + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
    }
}
