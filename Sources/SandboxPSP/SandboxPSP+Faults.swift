import Foundation
import HTTPServer
import Synchronization

/// Fault injection, for drills of a failing processor (issue #14): per API call, with the
/// plan's probability, one of the plan's faults. A fault changes only what the caller sees,
/// never what the processor did: a charge made before an error or a dropped connection is
/// kept, listed, and returned to a retry with the same `Idempotency-Key`, exactly as if the
/// answer had been delivered. Test-helper calls (`/v1/test_helpers/…`), reports and the bank
/// page never get faults, so a drill can always ask the processor what it really holds.
extension SandboxPSP {
    /// What can go wrong with one call.
    public enum Fault: String, Sendable, CaseIterable, Comparable {
        /// The answer comes `latency` late.
        case latency
        /// 500, and nothing was done.
        case errorBefore = "5xx_before"
        /// 500, but the work was done (the charge exists): what recovery is for.
        case errorAfter = "5xx_after"
        /// The work is done, then the answer is held for `timeoutHold`, past the caller's timeout.
        case timeout
        /// The connection closes without an answer, before the work.
        case dropBefore = "drop_before"
        /// The connection closes without an answer, after the work.
        case dropAfter = "drop_after"

        public static func < (lhs: Fault, rhs: Fault) -> Bool { lhs.rawValue < rhs.rawValue }

        /// `5xx` and `drop` name both of their kinds; the others name themselves.
        public static func named(_ name: String) -> [Fault]? {
            switch name.trimmingCharacters(in: .whitespaces).lowercased() {
            case "5xx": [.errorBefore, .errorAfter]
            case "drop": [.dropBefore, .dropAfter]
            case let other: Fault(rawValue: other).map { [$0] }
            }
        }
    }

    /// Which faults, how often, and the seed that makes a sequence of calls reproducible.
    public struct FaultPlan: Sendable {
        /// Probability per call, 0...1.
        public var rate: Double
        public var faults: [Fault]
        public var latency: Duration
        /// How long a `timeout` holds its answer: longer than the caller waits (our client: 15 s).
        public var timeoutHold: Duration
        public var seed: UInt64

        public init(rate: Double, faults: [Fault] = Fault.allCases, latency: Duration = .milliseconds(500),
                    timeoutHold: Duration = .seconds(16), seed: UInt64 = 1) {
            self.rate = rate
            self.faults = faults
            self.latency = latency
            self.timeoutHold = timeoutHold
            self.seed = seed
        }

        /// From `SANDBOX_PSP_FAULT_RATE`, `SANDBOX_PSP_FAULTS` (comma-separated: `latency`,
        /// `5xx`, `5xx_before`, `5xx_after`, `timeout`, `drop`, `drop_before`, `drop_after`;
        /// default all), `SANDBOX_PSP_LATENCY_MS`, `SANDBOX_PSP_TIMEOUT_MS` and
        /// `SANDBOX_PSP_FAULT_SEED`; nil when no rate is set. A value that does not parse is
        /// an error naming it, never ignored.
        public static func fromEnvironment(_ environment: [String: String]) throws -> FaultPlan? {
            guard let rateText = environment["SANDBOX_PSP_FAULT_RATE"], !rateText.isEmpty else { return nil }
            func invalid(_ key: String) -> ConfigurationError { ConfigurationError(message: "\(key)=\(environment[key] ?? "") is invalid") }
            guard let rate = Double(rateText), (0...1).contains(rate) else { throw invalid("SANDBOX_PSP_FAULT_RATE") }
            var plan = FaultPlan(rate: rate)
            if let names = environment["SANDBOX_PSP_FAULTS"], !names.isEmpty {
                let parsed = names.split(separator: ",").map { Fault.named(String($0)) }
                guard parsed.allSatisfy({ $0 != nil }) else { throw invalid("SANDBOX_PSP_FAULTS") }
                plan.faults = Array(Set(parsed.compactMap { $0 }.joined())).sorted()
            }
            func milliseconds(_ key: String) throws -> Duration? {
                guard let text = environment[key], !text.isEmpty else { return nil }
                guard let value = Int(text), (0...600_000).contains(value) else { throw invalid(key) }
                return .milliseconds(value)
            }
            if let latency = try milliseconds("SANDBOX_PSP_LATENCY_MS") { plan.latency = latency }
            if let hold = try milliseconds("SANDBOX_PSP_TIMEOUT_MS") { plan.timeoutHold = hold }
            if let text = environment["SANDBOX_PSP_FAULT_SEED"], !text.isEmpty {
                guard let seed = UInt64(text) else { throw invalid("SANDBOX_PSP_FAULT_SEED") }
                plan.seed = seed
            }
            return plan
        }
    }

    /// A fault plan that cannot be used.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The plan, the generator seeded from it, and what was injected so far.
    struct FaultState {
        var plan: FaultPlan?
        var generator = SplitMix64(seed: 1)
        /// Calls a fault could have hit.
        var calls = 0
        var injected: [Fault: Int] = [:]
        /// A relay in front can drop connections; without one, drops are refused in a plan.
        var canDrop = false
    }

    /// Installs `plan` (nil: no faults), restarting its generator and the counts. Drops need
    /// a `SandboxFaultRelay` in front (`allowDrops()`).
    public func setFaults(_ plan: FaultPlan?) throws(ConfigurationError) {
        try faultState.withLock { state throws(ConfigurationError) in
            if let plan, !state.canDrop, plan.rate > 0, plan.faults.contains(where: { $0 == .dropBefore || $0 == .dropAfter }) {
                throw ConfigurationError(message: "dropped connections need the sandbox fault relay in front of the processor")
            }
            state.plan = plan
            state.generator = SplitMix64(seed: plan?.seed ?? 1)
            state.calls = 0
            state.injected = [:]
        }
    }

    /// Called by whoever puts a `SandboxFaultRelay` in front of this processor.
    public func allowDrops() { faultState.withLock { $0.canDrop = true } }

    /// Faults injected so far, by kind, and the calls they were drawn for.
    public var faultCounts: (calls: Int, injected: [Fault: Int]) {
        faultState.withLock { ($0.calls, $0.injected) }
    }

    /// The fault for this call, if the plan draws one.
    func drawFault() -> (Fault, FaultPlan)? {
        faultState.withLock { state in
            guard let plan = state.plan, plan.rate > 0, !plan.faults.isEmpty else { return nil }
            state.calls += 1
            guard state.generator.nextUnit() < plan.rate else { return nil }
            let fault = plan.faults[Int(state.generator.next() % UInt64(plan.faults.count))]
            state.injected[fault, default: 0] += 1
            return (fault, plan)
        }
    }

    static func dropped() -> HTTPResponse {
        var response = error(500, "dropped", "the connection is dropped by the fault relay")
        response.headers.add(name: SandboxFaultRelay.dropHeader, value: "1")
        return response
    }

    // MARK: - Test helpers (never faulted)

    /// `GET /v1/test_helpers/faults`: the plan and the counts; `POST` (JSON `rate`, `faults`,
    /// `latency_ms`, `timeout_ms`, `seed`) installs a plan, `rate` 0 ends it.
    func faultsHelper(_ request: HTTPRequest, _ body: [String: Any]) -> HTTPResponse {
        if request.method == .post {
            var environment = ["SANDBOX_PSP_FAULT_RATE": "\((body["rate"] as? NSNumber)?.doubleValue ?? -1)"]
            if let names = body["faults"] as? [String] { environment["SANDBOX_PSP_FAULTS"] = names.joined(separator: ",") }
            for (field, key) in [("latency_ms", "SANDBOX_PSP_LATENCY_MS"), ("timeout_ms", "SANDBOX_PSP_TIMEOUT_MS"),
                                 ("seed", "SANDBOX_PSP_FAULT_SEED")] {
                if let number = body[field] as? NSNumber { environment[key] = "\(number.int64Value)" }
            }
            do {
                try setFaults(try FaultPlan.fromEnvironment(environment))
            } catch {
                return Self.error(400, "parameter_invalid", "\(error)".replacingOccurrences(of: "SANDBOX_PSP_", with: ""))
            }
        }
        let (calls, injected) = faultCounts
        let plan = faultState.withLock { $0.plan }
        return Self.json([
            "rate": plan?.rate ?? 0, "faults": plan?.faults.map(\.rawValue) ?? [], "calls": calls,
            "injected": Dictionary(uniqueKeysWithValues: Fault.allCases.map { ($0.rawValue, injected[$0] ?? 0) }),
        ])
    }

    /// `GET /v1/test_helpers/intents`: every payment intent the processor holds, succeeded or
    /// not, with its charge and metadata: the processor's own record, for drills to check
    /// our books against.
    func intentsHelper() -> HTTPResponse {
        let intents = state.withLock { Array($0.intents.values) }.sorted { $0.id < $1.id }
        return Self.json(["object": "list", "data": intents.map(render)])
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence for the same seed
/// on every platform, which `SystemRandomNumberGenerator` is not.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}
