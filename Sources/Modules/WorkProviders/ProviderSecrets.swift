public import AppKernel
import Cryptography
import Foundation
import Logging
import Postgres
import Synchronization

/// Which signing secrets a work provider's requests verify with, and what our webhooks to it
/// are signed with (OPS.md: provider secret rotation with an overlap window).
///
/// Until its first rotation a provider's secret is the environment's `PROVIDER_<NAME>_SECRET`.
/// A rotation (the `rotate_provider_secret` staff action, always four-eyes) stores a new random
/// secret in `work_providers.secrets`, sealed with AES-256-GCM under `PROVIDER_SECRETS_KEY`; it
/// takes precedence from then on, and the secret it replaces (the environment's, or the
/// previous rotation's) still verifies until the overlap window ends, so the provider can
/// switch at any moment within it without one refused event. During the overlap our webhooks
/// carry a `v1=` signature under each secret (`Hourglass-Signature: t=…,v1=<new>,v1=<old>`, as
/// Stripe does while a secret rolls), so the provider's check passes whichever it holds.
///
/// Every process reads the rotations through this cache, refreshed every 5 seconds, and at
/// once (at most once a second) when a signature matches none of the cached secrets, so a
/// provider that switched a moment after the rotation committed is not refused.
public final class ProviderSecrets: Sendable {
    /// A rotation as stored: the secret stays sealed until it is needed.
    struct Rotation: Sendable {
        let id: UUID
        let provider: String
        let sealed: [UInt8]
        let fingerprint: String
        let previousFingerprint: String
        let createdAt: Date
        let previousValidUntil: Date
        let makerID: UUID
        let revealedAt: Date?
    }

    static let refreshInterval: TimeInterval = 5
    static let forcedRefreshInterval: TimeInterval = 1

    private let database: PostgresPool
    private let clock: any WallClock
    private let logger: Logger
    private let cache = Mutex<(loadedAt: Date?, forcedAt: Date?, rotations: [String: [Rotation]])>((nil, nil, [:]))
    private static let registry = Mutex<[ObjectIdentifier: ProviderSecrets]>([:])

    /// The process's cache for this database.
    public static func shared(app: AppContext) -> ProviderSecrets {
        registry.withLock { registry in
            let key = ObjectIdentifier(app.database)
            if let existing = registry[key] { return existing }
            let secrets = ProviderSecrets(database: app.database, clock: app.clock, logger: app.logger)
            registry[key] = secrets
            return secrets
        }
    }

    private init(database: PostgresPool, clock: any WallClock, logger: Logger) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    /// Forgets what was read (after a rotation this process made commits).
    func invalidate() { cache.withLock { $0.loadedAt = nil } }

    /// Each provider's two newest rotations, newest first.
    private func rotations(forceRefresh: Bool) async throws -> [String: [Rotation]] {
        let now = clock.now()
        let (fresh, cached) = cache.withLock { state -> (Bool, [String: [Rotation]]) in
            if forceRefresh {
                if let forced = state.forcedAt, now.timeIntervalSince(forced) < Self.forcedRefreshInterval { return (true, state.rotations) }
                return (false, state.rotations)
            }
            guard let loaded = state.loadedAt, now.timeIntervalSince(loaded) < Self.refreshInterval else { return (false, state.rotations) }
            return (true, state.rotations)
        }
        if fresh { return cached }
        let rows = try await WorkProvidersStore(database: database).latestRotations(perProvider: 2)
        let grouped = Dictionary(grouping: rows, by: \.provider).mapValues { $0.sorted { $0.createdAt > $1.createdAt } }
        cache.withLock { state in
            state.loadedAt = now
            if forceRefresh { state.forcedAt = now }
            state.rotations = grouped
        }
        return grouped
    }

    /// The secrets that verify `provider`'s signatures at `now` (real time): its newest secret
    /// and, during the overlap, the one it replaced. Empty (nothing verifies) when a rotated
    /// secret cannot be opened: a missing or wrong PROVIDER_SECRETS_KEY must not bring the
    /// environment's retired secret back.
    func verifying(_ provider: WorkProviderConfig, key: [UInt8]?, now: Date, forceRefresh: Bool = false) async throws -> [String] {
        let rows = try await rotations(forceRefresh: forceRefresh)[provider.name] ?? []
        guard let newest = rows.first else { return [provider.secret] }
        guard let current = open(newest, key: key) else { return [] }
        guard now < newest.previousValidUntil else { return [current] }
        if rows.count > 1 {
            return [current] + (open(rows[1], key: key).map { [$0] } ?? [])
        }
        return [current, provider.secret]
    }

    private func open(_ rotation: Rotation, key: [UInt8]?) -> String? {
        guard let key, let bytes = SealedBox(key: key).open(rotation.sealed), let secret = String(bytes: bytes, encoding: .utf8) else {
            logger.error("a rotated work-provider secret cannot be opened (is PROVIDER_SECRETS_KEY set and the same as when it was rotated?)",
                         metadata: ["provider": "\(rotation.provider)", "rotation.id": "\(rotation.id)"])
            return nil
        }
        return secret
    }

    /// Checks `header` against every secret in force; a miss refreshes the cache once before
    /// it is final.
    func verify(header: String?, body: [UInt8], provider: WorkProviderConfig, key: [UInt8]?, now: Date) async throws -> Bool {
        func check(_ secrets: [String]) -> Bool {
            var matched = false
            for secret in secrets {
                do {
                    try WebhookSignature.verify(header: header, body: body, secret: secret, now: now)
                    matched = true
                } catch {}
            }
            return matched
        }
        if check(try await verifying(provider, key: key, now: now)) { return true }
        return check(try await verifying(provider, key: key, now: now, forceRefresh: true))
    }

    /// `Hourglass-Signature` for a webhook to `provider`: one `v1=` per secret in force.
    func signature(body: [UInt8], provider: WorkProviderConfig, key: [UInt8]?, now: Date) async throws -> String {
        let timestamp = Int(now.timeIntervalSince1970)
        let secrets = try await verifying(provider, key: key, now: now)
        let signatures = secrets.map { WebhookSignature.sign(body: body, secret: $0, timestamp: timestamp) }
        guard let first = signatures.first else { return "t=\(timestamp)" }
        return ([first] + signatures.dropFirst().map { String($0.drop { $0 != "," }.dropFirst()) }).joined(separator: ",")
    }

    /// A secret's fingerprint: the first 16 hex digits of its SHA-256, safe to show and to
    /// read out to the provider, who checks it against the secret they installed.
    public static func fingerprint(_ secret: String) -> String { String(Digest.sha256(Array(secret.utf8)).hexString.prefix(16)) }

    /// A new secret: 32 random bytes as 64 hex digits.
    static func newSecret() -> String { Digest.randomBytes(32).hexString }
}
