import AppKernel
import Foundation
import Postgres

/// The work_providers schema's statements for staff actions: ending a link and rotating a
/// provider's signing secret.
extension WorkProvidersStore {
    // MARK: - Links

    /// Ends an active link at `instant` (the driver's clock); nil when it was not active.
    func unlink(_ id: UUID, at instant: Date) async throws -> LinkDetail? {
        try await database.queryOptional("""
            UPDATE work_providers.links SET status = 'unlinked', ended_at = \(instant)
            WHERE id = \(id) AND status = 'active' RETURNING \(LinkDetail.columns)
            """, decode: LinkDetail.init(row:))
    }

    /// A link, locked for the caller's transaction.
    func lockedLink(id: UUID) async throws -> LinkDetail? {
        try await database.queryOptional("SELECT \(LinkDetail.columns) FROM work_providers.links WHERE id = \(id) FOR UPDATE",
                                         decode: LinkDetail.init(row:))
    }

    // MARK: - Secrets

    static let rotationColumns: SQL = """
        id, provider, sealed_secret, fingerprint, previous_fingerprint, created_at, previous_valid_until, maker_id, revealed_at
        """

    static func rotation(_ row: PostgresRow) throws -> ProviderSecrets.Rotation {
        ProviderSecrets.Rotation(
            id: try row.decode(UUID.self, at: 0), provider: try row.decode(String.self, at: 1),
            sealed: Array(try row.decode(Data.self, at: 2)), fingerprint: try row.decode(String.self, at: 3),
            previousFingerprint: try row.decode(String.self, at: 4), createdAt: try row.decode(Date.self, at: 5),
            previousValidUntil: try row.decode(Date.self, at: 6), makerID: try row.decode(UUID.self, at: 7),
            revealedAt: try row.decode(Date?.self, at: 8))
    }

    /// Every provider's `perProvider` newest rotations.
    func latestRotations(perProvider: Int) async throws -> [ProviderSecrets.Rotation] {
        try await database.queryAll("""
            SELECT \(Self.rotationColumns) FROM (
                SELECT *, row_number() OVER (PARTITION BY provider ORDER BY created_at DESC, id DESC) AS position
                FROM work_providers.secrets) r
            WHERE position <= \(perProvider)
            """, decode: Self.rotation)
    }

    /// One provider's rotations, newest first.
    func rotations(provider: String, limit: Int) async throws -> [ProviderSecrets.Rotation] {
        try await database.queryAll("""
            SELECT \(Self.rotationColumns) FROM work_providers.secrets WHERE provider = \(provider)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Self.rotation)
    }

    /// Serialises rotations of one provider until the transaction ends.
    func lockProviderSecrets(_ provider: String) async throws {
        _ = try await database.query("SELECT pg_advisory_xact_lock(hashtextextended(\("work_providers.secret:" + provider), 0))")
    }

    func insertRotation(id: UUID, provider: String, sealed: [UInt8], fingerprint: String, previousFingerprint: String, at instant: Date,
                        previousValidUntil: Date, makerID: UUID, actionRequestID: UUID) async throws {
        try await database.execute("""
            INSERT INTO work_providers.secrets (id, provider, sealed_secret, fingerprint, previous_fingerprint, created_at,
                                                previous_valid_until, maker_id, action_request_id)
            VALUES (\(id), \(provider), \(Data(sealed)), \(fingerprint), \(previousFingerprint), \(instant), \(previousValidUntil),
                    \(makerID), \(actionRequestID))
            """)
    }

    /// Marks a rotation's secret shown, once, to the member of staff who asked for it; the
    /// sealed secret when this call is the one that showed it, nil otherwise.
    func reveal(_ id: UUID, to makerID: UUID, at instant: Date) async throws -> ProviderSecrets.Rotation? {
        try await database.queryOptional("""
            UPDATE work_providers.secrets SET revealed_at = \(instant)
            WHERE id = \(id) AND maker_id = \(makerID) AND revealed_at IS NULL
            RETURNING \(Self.rotationColumns)
            """, decode: Self.rotation)
    }
}
