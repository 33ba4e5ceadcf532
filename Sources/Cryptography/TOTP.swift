import COpenSSL

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 30-second steps,
/// 6 digits by default, the parameters every authenticator app assumes.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let digits: Int
    public let period: Int64

    public init(secret: [UInt8], digits: Int = 6, period: Int64 = 30) {
        precondition((6...8).contains(digits), "RFC 4226 codes have 6 to 8 digits")
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// A new 160-bit secret (RFC 4226 §4 recommends 160 bits).
    public static func newSecret() -> [UInt8] { Digest.randomBytes(20) }

    /// The step a Unix time falls in (RFC 6238 §4: T = floor((now − T0) / X), T0 = 0).
    public func step(at unixSeconds: Int64) -> Int64 { unixSeconds >= 0 ? unixSeconds / period : (unixSeconds - period + 1) / period }

    /// The code of one step (RFC 4226 §5.3: dynamic truncation of HMAC-SHA-1 over the counter).
    public func code(step: Int64) -> String {
        var counter = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { counter[7 - index] = UInt8(truncatingIfNeeded: UInt64(bitPattern: step) >> (8 * UInt64(index))) }
        let mac = Self.hmacSHA1(key: secret, message: counter)
        let offset = Int(mac[19] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step `code` belongs to if it is the code of the current step or the one before
    /// (clock drift and typing time, never further), compared in constant time; nil otherwise.
    /// The caller refuses a step at or before the last one it accepted, so no code works twice.
    public func matchingStep(_ code: String, at unixSeconds: Int64) -> Int64? {
        let current = step(at: unixSeconds)
        var matched: Int64?
        for candidate in [current, current - 1] where Digest.constantTimeEquals(Array(self.code(step: candidate).utf8), Array(code.utf8)) {
            matched = matched ?? candidate
        }
        return matched
    }

    static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 20
        key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                _ = HMAC(EVP_sha1(), keyBuffer.baseAddress, Int32(keyBuffer.count), messageBuffer.baseAddress, messageBuffer.count, &output, &length)
            }
        }
        return output
    }
}

/// RFC 4648 base32 (upper case, no padding on output; padding and case ignored on input), the
/// form authenticator apps take a TOTP secret in.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8](), buffer: UInt32 = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8](), buffer: UInt32 = 0, bits = 0
        for character in text.uppercased().utf8 where character != UInt8(ascii: "=") && character != UInt8(ascii: " ") {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return out
    }
}
