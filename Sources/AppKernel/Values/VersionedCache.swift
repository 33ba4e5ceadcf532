import Synchronization

/// Reference data that never changes once written (a rate table version, an underwriting rule
/// set: the runtime role cannot UPDATE them), kept in memory by an identity that a rewrite
/// could not reuse: its version and the `xmin` of the row that published it. Each request then
/// asks the database only which version is in effect, one small indexed read, and not for the
/// contents (four statements for a rate table).
public final class VersionedCache<Value: Sendable>: Sendable {
    private let values = Mutex<[String: Value]>([:])
    /// A handful of versions are in use at once; more than this means something is churning.
    private let capacity: Int

    public init(capacity: Int = 32) { self.capacity = capacity }

    /// The cached value for `key`, or `load()`'s (then kept).
    public func value(for key: String, load: () async throws -> Value) async throws -> Value {
        if let hit = values.withLock({ $0[key] }) { return hit }
        let loaded = try await load()
        values.withLock { all in
            if all.count >= capacity { all.removeAll() }
            all[key] = loaded
        }
        return loaded
    }
}
