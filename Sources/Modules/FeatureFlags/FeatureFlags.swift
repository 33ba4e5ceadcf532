public import AppKernel
import Audit
public import Foundation
import Logging
public import Postgres
import Synchronization

/// The feature-flags module's public API: typed flags and settings read from a cache that this
/// process refreshes within 5 seconds of any change (LISTEN/NOTIFY, and a reload every 5
/// seconds in case a notification is missed). One cache per database pool (one per process).
public final class FeatureFlags: Sendable {
    public static let channel = "feature_flags"
    public static let refreshInterval: Duration = .seconds(5)

    let app: AppContext
    private let declared = Mutex<[String: FlagDefinition]>([:])
    /// Every declared flag and setting (the admin lists them).
    public var definitions: [String: FlagDefinition] { declared.withLock { $0 } }
    private struct State {
        var values: [String: FeatureFlagsStore.Row] = [:]
        var loaded = false
        var started = false
    }
    private let state = Mutex(State())
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let listener = Mutex<PostgresListener?>(nil)

    private static let registry = Mutex<[ObjectIdentifier: FeatureFlags]>([:])

    /// The process's cache for this database (one per pool, so one listener per process).
    public static func shared(app: AppContext) -> FeatureFlags {
        registry.withLock { registry in
            let key = ObjectIdentifier(app.database)
            if let existing = registry[key] { return existing }
            let flags = FeatureFlags(app: app)
            registry[key] = flags
            return flags
        }
    }

    init(app: AppContext) { self.app = app }

    /// Stops and drops the cache of a pool that is going away (tests' own databases).
    public static func forget(_ database: PostgresPool) {
        let flags = registry.withLock { $0.removeValue(forKey: ObjectIdentifier(database)) }
        flags?.stop()
    }

    func stop() {
        listener.withLock { $0?.stop() }
        loop.withLock { $0?.cancel() }
    }

    /// Declares keys (each module declares its own; the admin lists and validates them).
    public func declare(_ definitions: [FlagDefinition]) {
        declared.withLock { for definition in definitions { $0[definition.key] = definition } }
    }

    /// The value in force: stored, or the declared default.
    public func value(_ definition: FlagDefinition) async -> JSONValue {
        await ensureLoaded()
        if let stored = state.withLock({ $0.values[definition.key] }) { return stored.value }
        return definition.defaultValue
    }

    func value(key: String) async -> JSONValue {
        guard let definition = definitions[key] else { return .null }
        return await value(definition)
    }

    /// Whether a flag is on for this driver (or, without one, for everyone).
    public func isEnabled(_ definition: FlagDefinition, for driverID: UUID? = nil) async -> Bool {
        FlagTargeting(await value(definition)).includes(driverID, key: definition.key)
    }

    /// A system-wide on/off setting.
    public func bool(_ definition: FlagDefinition) async -> Bool {
        if case .bool(let on) = await value(definition) { return on }
        if case .boolean(let fallback) = definition.kind { return fallback }
        return false
    }

    /// A whole-number setting.
    public func integer(_ definition: FlagDefinition) async -> Int64 {
        if case .integer(let number) = await value(definition) { return number }
        if case .integer(let fallback, _) = definition.kind { return fallback }
        return 0
    }

    /// When and by whom a key was last changed (nil: still its default).
    public func lastChange(_ key: String) async -> (at: Date, by: String)? {
        await ensureLoaded()
        return state.withLock { $0.values[key].map { ($0.updatedAt, $0.updatedBy) } }
    }

    /// Changes a key, with a reason, audited with before and after, in one transaction; every
    /// process sees it within 5 seconds (this one at once).
    public func set(_ key: String, to value: JSONValue, reason: String) async throws {
        try await app.database.withTransaction { transaction in
            try await set(key, to: value, reason: ("other", reason), on: transaction)
        }
        try await reload()
    }

    /// Changes a value inside the caller's transaction (an approved staff action); every
    /// process, this one included, sees it within 5 seconds of the commit.
    public func set(_ key: String, to value: JSONValue, reason: (code: String, text: String?)?, on transaction: PostgresConnection) async throws {
        guard let definition = definitions[key] else { throw AppError.notFound("no flag or setting \(key)") }
        let value = try Self.normalized(value, for: definition)
        let store = FeatureFlagsStore(database: transaction)
        let before = try await store.current(key) ?? definition.defaultValue
        try await store.upsert(key, value: value, by: AuditContext.current.actor)
        try await Audit.record("feature_flags.changed", AuditObject("feature_flag", key), before: before, after: value,
                               reason: reason, on: transaction)
    }

    /// The value as stored, or 422 when it does not fit the definition.
    static func normalized(_ value: JSONValue, for definition: FlagDefinition) throws -> JSONValue {
        let invalid = AppError.invalid("that is not a valid value for \(definition.key)")
        switch (definition.kind, value) {
        case (.flag, .object(let members)):
            guard case .string(let mode)? = members["mode"], ["all", "off", "percentage", "drivers"].contains(mode) else { throw invalid }
            if mode == "percentage" { guard case .integer(let share)? = members["percentage"], (0...100).contains(share) else { throw invalid } }
            if mode == "drivers" {
                guard case .array(let ids)? = members["drivers"], ids.allSatisfy({ if case .string(let text) = $0 { UUID(uuidString: text) != nil } else { false } })
                else { throw invalid }
            }
            return FlagTargeting(value).json
        case (.integer(_, let range), .integer(let number)):
            guard range.contains(number) else { throw invalid }
            return value
        case (.boolean, .bool):
            return value
        default:
            throw invalid
        }
    }

    /// Reloads every stored value now.
    public func reload() async throws {
        let rows = try await FeatureFlagsStore(database: app.database).all()
        state.withLock { state in
            state.values = Dictionary(rows.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            state.loaded = true
        }
    }

    /// Loads once before the first read, and starts the refresher.
    private func ensureLoaded() async {
        let (loaded, start) = state.withLock { state -> (Bool, Bool) in
            let start = !state.started
            state.started = true
            return (state.loaded, start)
        }
        if start { startRefreshing() }
        if !loaded {
            do { try await reload() } catch { app.logger.warning("feature flags not loaded; defaults apply", metadata: ["error": "\(error)"]) }
        }
    }

    private func startRefreshing() {
        // LISTEN is session state: it needs a direct connection, never PgBouncer's transaction mode.
        let listener = PostgresListener(configuration: app.database.configuration.direct, channels: [Self.channel])
        self.listener.withLock { $0 = listener }
        // Detached: the refresher outlives the request that happened to start it, and must
        // neither count against its round-trip budget nor run on its event loop.
        let task = Task.detached { [weak self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [weak self] in
                    for await event in listener.events {
                        if case .notification = event { try? await self?.reload() }
                        if case .listening = event { try? await self?.reload() }
                    }
                }
                group.addTask { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.refreshInterval)
                        guard let self else { return }
                        try? await self.reload()
                    }
                }
            }
        }
        loop.withLock { $0 = task }
    }
}
