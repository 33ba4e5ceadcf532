import Cryptography
public import Foundation

/// `<Header>: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` — the signature scheme of PSP
/// and work-provider webhooks. Verified on the raw body, within a tolerance of real time,
/// with a constant-time comparison.
public enum WebhookSignature {
    public enum Failure: Error, Equatable { case malformed, stale, mismatch }

    public static func sign(body: [UInt8], secret: String, timestamp: Int) -> String {
        "t=\(timestamp),v1=\(Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body).hexString)"
    }

    public static func verify(header: String?, body: [UInt8], secret: String, now: Date,
                              tolerance: TimeInterval = 300) throws(Failure) {
        guard let header else { throw .malformed }
        var timestamp: Int?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw .malformed }
            switch pair[0].trimmingCharacters(in: .whitespaces) {
            case "t": timestamp = Int(pair[1])
            case "v1": if let bytes = [UInt8](hexString: pair[1]) { signatures.append(bytes) }
            default: continue  // other schemes are ignored
            }
        }
        guard let timestamp, !signatures.isEmpty else { throw .malformed }
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { throw .stale }
        let expected = Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)
        // Check every candidate: stopping at the first match would leak timing.
        var matched = false
        for signature in signatures where Digest.constantTimeEquals(signature, expected) { matched = true }
        guard matched else { throw .mismatch }
    }
}
