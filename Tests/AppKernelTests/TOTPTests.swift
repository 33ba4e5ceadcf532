import Cryptography
import Testing

/// RFC 6238 Appendix B (SHA-1 rows) and RFC 4648 §10; the sealed box round-trips and refuses
/// a changed byte or another key.
struct TOTPTests {
    @Test(arguments: [(Int64(59), "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
                      (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130")])
    func rfc6238Vectors(time: Int64, expected: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8), digits: 8)
        #expect(totp.code(step: totp.step(at: time)) == expected)
    }

    @Test func sixDigitCodesAcceptTheCurrentStepAndOneBackOnly() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now: Int64 = 1_111_111_111
        let current = totp.step(at: now)
        #expect(totp.code(step: current) == "050471")
        #expect(totp.matchingStep(totp.code(step: current), at: now) == current)
        #expect(totp.matchingStep(totp.code(step: current - 1), at: now) == current - 1)
        #expect(totp.matchingStep(totp.code(step: current - 2), at: now) == nil)
        #expect(totp.matchingStep(totp.code(step: current + 1), at: now) == nil)
        #expect(totp.matchingStep("12345", at: now) == nil)
    }

    @Test func base32() {
        for (plain, encoded) in [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"),
                                 ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")] {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base32.decode("mzxw6ytboi======") == Array("foobar".utf8))
        #expect(Base32.decode("MZ1") == nil)
    }

    @Test func sealedBoxes() {
        let key = Digest.randomBytes(32)
        let box = SealedBox(key: key)
        let sealed = box.seal(Array("a TOTP seed".utf8))
        #expect(box.open(sealed) == Array("a TOTP seed".utf8))
        #expect(box.seal(Array("a TOTP seed".utf8)) != sealed)  // a fresh nonce every time
        var tampered = sealed
        tampered[14] ^= 1
        #expect(box.open(tampered) == nil)
        #expect(SealedBox(key: Digest.randomBytes(32)).open(sealed) == nil)
        #expect(box.open([1, 2, 3]) == nil)
    }
}
