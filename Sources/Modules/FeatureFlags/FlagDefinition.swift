public import AppKernel
public import Foundation

/// A flag or setting a module declares: its key, type, default and what it means. Only
/// declared keys can be set (a typo in the admin is refused, not stored).
public struct FlagDefinition: Sendable {
    public enum Kind: Sendable, Equatable {
        /// On or off per driver: for all, none, a stable percentage, or listed drivers.
        case flag(defaultOn: Bool)
        /// A whole number within a range (a threshold, a ceiling).
        case integer(default: Int64, range: ClosedRange<Int64>)
        /// On or off for the whole system (maintenance mode).
        case boolean(default: Bool)
    }

    public let key: String
    public let kind: Kind
    public let description: String
    /// The module that reads it, for the admin's list.
    public let owner: String
    /// Changing it from the admin needs a fresh TOTP code (sudo mode).
    public let sensitive: Bool
    /// Changing it needs a second person's approval (OPS.md: the approval thresholds).
    public let fourEyes: Bool

    public init(_ key: String, _ kind: Kind, owner: String, sensitive: Bool = true, fourEyes: Bool = false, _ description: String) {
        precondition(key.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil, "flag keys are snake_case")
        self.key = key
        self.kind = kind
        self.owner = owner
        self.sensitive = sensitive
        self.fourEyes = fourEyes
        self.description = description
    }

    /// The value in force while nobody changed it.
    public var defaultValue: JSONValue {
        switch kind {
        case .flag(let on): .object(["mode": .string(on ? "all" : "off")])
        case .integer(let value, _): .integer(value)
        case .boolean(let value): .bool(value)
        }
    }
}

/// How a flag targets drivers.
public enum FlagTargeting: Sendable, Equatable {
    case all
    case off
    /// A stable share of drivers: the same driver is always in or out for the same flag.
    case percentage(Int)
    case drivers(Set<UUID>)

    init(_ value: JSONValue) {
        guard case .object(let members) = value, case .string(let mode)? = members["mode"] else { self = .off; return }
        switch mode {
        case "all": self = .all
        case "percentage":
            if case .integer(let share)? = members["percentage"] { self = .percentage(Int(max(0, min(100, share)))) } else { self = .off }
        case "drivers":
            if case .array(let ids)? = members["drivers"] {
                self = .drivers(Set(ids.compactMap { if case .string(let text) = $0 { UUID(uuidString: text) } else { nil } }))
            } else { self = .off }
        default: self = .off
        }
    }

    var json: JSONValue {
        switch self {
        case .all: .object(["mode": .string("all")])
        case .off: .object(["mode": .string("off")])
        case .percentage(let share): .object(["mode": .string("percentage"), "percentage": .integer(Int64(share))])
        case .drivers(let ids): .object(["mode": .string("drivers"), "drivers": .array(ids.map { .string($0.uuidString.lowercased()) }.sorted { "\($0)" < "\($1)" })])
        }
    }

    /// Whether `driverID` is in. Without a driver, only `.all` is on.
    func includes(_ driverID: UUID?, key: String) -> Bool {
        switch self {
        case .all: return true
        case .off: return false
        case .drivers(let ids): return driverID.map(ids.contains) ?? false
        case .percentage(let share):
            guard let driverID else { return false }
            return Self.bucket(of: driverID, key: key) < share
        }
    }

    /// 0–99, the same for a driver and flag every time (SHA-256 of both).
    static func bucket(of driverID: UUID, key: String) -> Int {
        let digest = Digest.sha256(Array("\(key):\(driverID.uuidString.lowercased())".utf8))
        return Int((UInt16(digest[0]) << 8 | UInt16(digest[1])) % 100)
    }
}

import Cryptography
