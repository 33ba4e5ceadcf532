import Cryptography
import Dispatch
import Foundation

/// PBKDF2-HMAC-SHA256 with a per-user 16-byte salt, stored as
/// `pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>` so the work factor can rise later
/// without invalidating old hashes. Hashing is deliberately slow (~0.3 s at 600,000 rounds),
/// so it runs on a dispatch queue, never on Swift's cooperative pool.
struct PasswordHasher: Sendable {
    let iterations: Int
    private static let queue = DispatchQueue(label: "hourglass.identity.password", attributes: .concurrent)

    func hash(_ password: String) async -> String {
        let salt = Digest.randomBytes(16)
        let derived = await Self.derive(password, salt: salt, iterations: iterations)
        return "pbkdf2_sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Constant-time verification. A malformed stored hash never matches.
    func verify(_ password: String, against stored: String) async -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let rounds = Int(parts[1]), rounds > 0,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        let derived = await Self.derive(password, salt: Array(salt), iterations: rounds)
        return Digest.constantTimeEquals(derived, Array(expected))
    }

    /// Burns the same time as a real verification, for logins with an unknown email, so that
    /// response times do not reveal which emails are registered.
    func verifyNothing(_ password: String) async {
        _ = await Self.derive(password, salt: Array(repeating: 0, count: 16), iterations: iterations)
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Digest.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations))
            }
        }
    }
}
