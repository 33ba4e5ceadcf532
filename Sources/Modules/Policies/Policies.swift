public import AppKernel
public import Foundation
public import Postgres
import Synchronization

/// What other modules do when a policy stops covering (the cover module ends a PAYG policy's
/// running session at that instant and charges it). Called inside the cancelling transaction,
/// after the policy row is locked and marked, so the whole cancellation commits or none of it.
public final class PolicyEndings: Sendable {
    public typealias Handler = @Sendable (_ policy: Policy, _ endedAt: Date, PostgresConnection) async throws -> Void
    private let handlers = Mutex<[Handler]>([])

    public init() {}

    public func register(_ handler: @escaping Handler) { handlers.withLock { $0.append(handler) } }

    func run(_ policy: Policy, at instant: Date, on transaction: PostgresConnection) async throws {
        for handler in handlers.withLock({ $0 }) { try await handler(policy, instant, transaction) }
    }
}

/// The policies module's public API for other modules.
public struct Policies: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The driver's PAYG policy in force (`active`, shown `paused` when cover is paused for
    /// money), if any: at most one exists. Pass the caller's transaction to read under its locks.
    public func paygInForce(of driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Policy? {
        try await PoliciesStore(database: database ?? app.database).paygInForce(driverID: driverID)
    }

    /// The driver's policy, or nil (another driver's policy does not exist for them).
    public func policy(_ id: UUID, of driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> Policy? {
        try await PoliciesStore(database: database ?? app.database).find(id: id, driverID: driverID)
    }

    /// The driver's paid hourly blocks in force at `instant`.
    public func blocks(of driverID: UUID, covering instant: Date, on database: (any PostgresQueryable)? = nil) async throws -> [Policy] {
        try await PoliciesStore(database: database ?? app.database).blocks(driverID: driverID, covering: instant)
    }
}
