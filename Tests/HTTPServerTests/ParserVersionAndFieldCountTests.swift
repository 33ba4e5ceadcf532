import Testing
@testable import HTTPServer

/// Issue #14's HTTP details: later HTTP/1 minor versions are served as HTTP/1.1 (RFC 9112 §2.3),
/// and a head of 100 ordinary fields plus Host fits the default limits.
struct ParserVersionAndFieldCountTests {
    @Test(arguments: ["HTTP/1.2", "HTTP/1.5", "HTTP/1.9"])
    func laterHTTP1MinorVersionsAreServedAsHTTP11(version: String) throws {
        let result = ParserFixtureTests.expectSameForEverySplit("GET /v1/me \(version)\r\nHost: a\r\n\r\n")
        let head = try #require(ParserFixtureTests.heads(result).first, "\(version) refused: \(result)")
        #expect(head.version == .http1_1)
        // HTTP/1.1 semantics apply: persistent by default, and Host is required.
        #expect(head.keepAlive)
        #expect(ParserFixtureTests.status(ParserFixtureTests.expectSameForEverySplit("GET / \(version)\r\n\r\n")) == 400)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/2.1", "HTTP/3.0", "HTTP/9.9", "HTTP/0.9"])
    func otherMajorVersionsAre505(version: String) {
        let result = ParserFixtureTests.expectSameForEverySplit("GET / \(version)\r\nHost: a\r\n\r\n")
        #expect(ParserFixtureTests.status(result) == 505)
    }

    @Test(arguments: ["HTTP/1.10", "HTTP/1.", "HTTP/1.a", "HTTP/12.0"])
    func malformedVersionsAre400(version: String) {
        let result = ParserFixtureTests.expectSameForEverySplit("GET / \(version)\r\nHost: a\r\n\r\n")
        #expect(ParserFixtureTests.status(result) == 400)
    }

    /// A GET with Host and `fields` more fields of about 20 bytes each.
    static func head(fields: Int) -> String {
        "GET /v1/me HTTP/1.1\r\nHost: a\r\n"
            + (0..<fields).map { "X-Field-\($0): value \($0)\r\n" }.joined() + "\r\n"
    }

    @Test func hundredOrdinaryFieldsPlusHostAreAccepted() throws {
        let head = try #require(ParserFixtureTests.heads(ParserFixtureTests.expectSameForEverySplit(Self.head(fields: 100))).first)
        #expect(head.headers["x-field-99"] == "value 99")
        #expect(head.headers["host"] == "a")
    }

    @Test func theFieldCountLimitCountsFieldsNotTheRequestLine() {
        let limits = ParseLimits()
        // Host plus 127 others is exactly the limit; one more is 431.
        #expect(ParserFixtureTests.status(ParserFixtureTests.parse([Array(Self.head(fields: limits.maxHeaderCount - 1).utf8)])) == nil)
        #expect(ParserFixtureTests.status(ParserFixtureTests.parse([Array(Self.head(fields: limits.maxHeaderCount).utf8)])) == 431)
    }

    @Test func manyFieldsStillObeyTheTotalHeadSize() {
        // 100 fields of 400 bytes each are 40 KB, over the 32 KiB head limit: 431, as before.
        let big = "GET / HTTP/1.1\r\nHost: a\r\n"
            + (0..<100).map { "X-Field-\($0): \(String(repeating: "v", count: 400))\r\n" }.joined() + "\r\n"
        #expect(ParserFixtureTests.status(ParserFixtureTests.parse([Array(big.utf8)])) == 431)
    }

    @Test func trailersHaveTheSameFieldCountLimit() {
        let limits = ParseLimits()
        func chunked(trailers: Int) -> [UInt8] {
            Array(("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
                + (0..<trailers).map { "T-\($0): x\r\n" }.joined() + "\r\n").utf8)
        }
        #expect(ParserFixtureTests.status(ParserFixtureTests.parse([chunked(trailers: limits.maxHeaderCount)])) == nil)
        #expect(ParserFixtureTests.status(ParserFixtureTests.parse([chunked(trailers: limits.maxHeaderCount + 1)])) == 431)
    }
}
