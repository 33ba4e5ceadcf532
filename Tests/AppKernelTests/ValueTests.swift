@testable import AppKernel
import Cryptography
import Foundation
import Testing

struct MoneyTests {
    @Test func allocationSumsExactly() {
        let parts = Money.pence(10_000).allocated(into: 3)
        #expect(parts.map(\.minorUnits) == [3334, 3333, 3333])
        #expect(Money.pence(-100).allocated(into: 3).map(\.minorUnits) == [-34, -33, -33])
    }

    @Test func roundHalfUp() {
        #expect(Money.roundHalfUp(5, 2) == 3)
        #expect(Money.roundHalfUp(4, 3) == 1)
        #expect(Money.roundHalfUp(-5, 2) == -3)
        // IPT is 3/28 of a gross price: £3.50 → 37.5p → 38p.
        #expect(Money.pence(350).multiplied(by: 3, dividedBy: 28).minorUnits == 38)
    }

    @Test func description() {
        #expect(Money.pence(1234).description == "12.34 GBP")
        #expect(Money.pence(-5).description == "-0.05 GBP")
        #expect(Currency(code: "gbp") == nil)
    }
}

struct DateTests {
    @Test func localDatesValidate() {
        #expect(LocalDate("2024-02-29") != nil)
        #expect(LocalDate("2023-02-29") == nil)
        #expect(LocalDate("2023-13-01") == nil)
        #expect(LocalDate("2023-1-01") == nil)
        #expect(LocalDate("2023-01-01T00:00") == nil)
        #expect(LocalDate("2023-01-01")!.adding(days: 365).description == "2024-01-01")
    }

    @Test func ageInWholeYears() {
        let birthday = LocalDate("2000-06-15")!
        #expect(birthday.wholeYears(until: LocalDate("2019-06-14")!) == 18)
        #expect(birthday.wholeYears(until: LocalDate("2019-06-15")!) == 19)
    }

    @Test func rfc3339() {
        let instant = Date(timeIntervalSince1970: 1_795_708_800)
        #expect(RFC3339.format(instant) == "2026-11-26T16:00:00Z")
        // One form for every timestamp: whole seconds, the fraction dropped (never rounded up).
        #expect(RFC3339.format(instant.addingTimeInterval(0.75)) == "2026-11-26T16:00:00Z")
        #expect(RFC3339.format(instant.addingTimeInterval(-0.25)) == "2026-11-26T15:59:59Z")
        #expect(RFC3339.parse("2026-11-26T16:00:00Z") == instant)
        #expect(RFC3339.parse("2026-11-26T18:30:00+02:30") == instant)
        #expect(RFC3339.parse("2026-11-26T16:00:00.123456789Z")!.timeIntervalSince(instant) > 0.1234)
        #expect(RFC3339.parse("2026-11-26 16:00:00") == nil)
        #expect(RFC3339.parse("2026-11-26T16:00:00") == nil)
        #expect(RFC3339.parse("tomorrow") == nil)
    }
}

struct DigestTests {
    @Test func knownVectors() {
        #expect(Digest.sha256(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // RFC 4231 test case 2.
        #expect(Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)).hexString
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // RFC 7914 §11 PBKDF2-HMAC-SHA256 vector (1 iteration).
        #expect(Digest.pbkdf2SHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 16).hexString
            == "55ac046e56e3089fec1691c22544b605")
    }

    @Test func constantTimeComparison() {
        #expect(Digest.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(Digest.randomBytes(32) != Digest.randomBytes(32))
        #expect([UInt8](hexString: "00ff10") == [0, 255, 16])
        #expect([UInt8](hexString: "0g") == nil)
    }
}

struct JSONBoundaryTests {
    @Test func escapedNULIsFoundButAnEscapedBackslashIsNot() {
        #expect(JSON.containsEscapedNUL(Array(#"{"a":"x\u0000y"}"#.utf8)))
        #expect(!JSON.containsEscapedNUL(Array(#"{"a":"x\\u0000y"}"#.utf8)))
        #expect(!JSON.containsEscapedNUL(Array(#"{"a":"\u0041"}"#.utf8)))
    }
}

/// The API's JSON rules, written once (issue #10): nulls present, lower-case ids, one timestamp
/// form, snake_case keys, dictionary keys untouched.
struct JSONWriterTests {
    struct Sample: Encodable {
        let id: UUID
        let endsAt: Date?
        let hours: Int?
        let redirectURL: String
        let nested: [String: Int]
        let items: [Int?]
    }

    @Test func writesEveryFieldWithOneEncoding() throws {
        let id = UUID(uuidString: "8CDECB34-0C4A-4E5B-9F3E-1A2B3C4D5E6F")!
        let sample = Sample(id: id, endsAt: nil, hours: nil, redirectURL: "https://x/y", nested: ["keepThis": 1], items: [1, nil])
        let text = String(decoding: try JSONWriter.encode(sample), as: UTF8.self)
        #expect(text == #"{"ends_at":null,"hours":null,"id":"8cdecb34-0c4a-4e5b-9f3e-1a2b3c4d5e6f","items":[1,null],"nested":{"keepThis":1},"redirect_url":"https://x/y"}"#)
        let dated = String(decoding: try JSONWriter.encode(["at": Date(timeIntervalSince1970: 1_795_708_800.712)]), as: UTF8.self)
        #expect(dated == #"{"at":"2026-11-26T16:00:00Z"}"#)
        #expect(String(decoding: try JSONWriter.encode("quote \" back\\slash\n\u{1}"), as: UTF8.self) == #""quote \" back\\slash\n\u0001""#)
        #expect(JSONWriter.snakeCase("providerDriverId") == "provider_driver_id")
        #expect(JSONWriter.snakeCase("last4") == "last4")
        #expect(JSONWriter.snakeCase("pspIntentID") == "psp_intent_id")
    }
}
