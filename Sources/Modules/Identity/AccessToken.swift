import Cryptography
import Foundation

/// Bearer tokens: `hg_` + 256 random bits in base64url. Only their SHA-256 is stored, so a
/// database leak yields no usable token.
enum AccessToken {
    static let lifetime: TimeInterval = 30 * 24 * 3600

    static func generate() -> String {
        "hg_" + Data(Digest.randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> Data { Data(Digest.sha256(Array(token.utf8))) }
}
