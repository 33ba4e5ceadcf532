import AppKernel
import Cryptography
import Dispatch
import Foundation

/// PBKDF2-HMAC-SHA256 with a per-user 16-byte salt, stored as
/// `pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>` so the work factor can rise later
/// without invalidating old hashes. Hashing is deliberately slow (~0.3 s at 600,000 rounds),
/// so it runs on dedicated threads, never on Swift's cooperative pool, and at most `slots` at
/// a time (half the cores): a flood of sign-ups or logins queues behind them, and past
/// `maxWaiting` gets 503, instead of taking every core from every other request.
struct PasswordHasher: Sendable {
    let iterations: Int
    private static let queue = DispatchQueue(label: "hourglass.identity.password", attributes: .concurrent)
    static let gate = HashingGate(slots: max(1, ProcessInfo.processInfo.activeProcessorCount / 2), maxWaiting: 1024)

    func hash(_ password: String) async throws -> String {
        let salt = Digest.randomBytes(16)
        let derived = try await Self.derive(password, salt: salt, iterations: iterations)
        return "pbkdf2_sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Constant-time verification. A malformed stored hash never matches.
    func verify(_ password: String, against stored: String) async throws -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let rounds = Int(parts[1]), rounds > 0,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        let derived = try await Self.derive(password, salt: Array(salt), iterations: rounds)
        return Digest.constantTimeEquals(derived, Array(expected))
    }

    /// Burns the same time as a real verification, for logins with an unknown email, so that
    /// response times do not reveal which emails are registered.
    func verifyNothing(_ password: String) async throws {
        _ = try await Self.derive(password, salt: Array(repeating: 0, count: 16), iterations: iterations)
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) async throws -> [UInt8] {
        try await gate.enter()
        defer { Task { await gate.leave() } }
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Digest.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations))
            }
        }
    }
}

/// A counting semaphore for async callers, with a bounded queue.
actor HashingGate {
    private let slots: Int
    private let maxWaiting: Int
    private var busy = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int, maxWaiting: Int) {
        self.slots = slots
        self.maxWaiting = maxWaiting
    }

    /// Waits for a slot; 503 when too many are already waiting.
    func enter() async throws {
        if busy < slots {
            busy += 1
            return
        }
        guard waiting.count < maxWaiting else {
            throw AppError.unavailable("too many sign-ins at once; retry in a moment")
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            busy -= 1
        } else {
            waiting.removeFirst().resume()  // the slot passes straight to the next waiter
        }
    }
}
