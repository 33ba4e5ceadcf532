import Testing
@testable import HTTPServer

/// llhttp-style fixtures: raw bytes in, events or a status out. Every fixture is also fed split
/// at every byte boundary and one byte at a time, and must give the same result.
struct ParserFixtureTests {
    /// Feeds `chunks` in order and collects events until the parser needs more bytes.
    static func parse(_ chunks: [[UInt8]], limits: ParseLimits = ParseLimits()) -> Result<[HTTPRequestParser.Event], HTTPParseError> {
        var parser = HTTPRequestParser(limits: limits)
        var events: [HTTPRequestParser.Event] = []
        do {
            for chunk in chunks {
                parser.append(chunk)
                while let event = try parser.next() { events.append(event) }
            }
            return .success(merged(events))
        } catch {
            return .failure(error)
        }
    }

    /// Adjacent body events are merged so that results compare equal however bytes were split.
    static func merged(_ events: [HTTPRequestParser.Event]) -> [HTTPRequestParser.Event] {
        var out: [HTTPRequestParser.Event] = []
        for event in events {
            if case .body(let bytes) = event, case .body(let previous)? = out.last {
                out[out.count - 1] = .body(previous + bytes)
            } else {
                out.append(event)
            }
        }
        return out
    }

    /// Every way of splitting `raw` gives the same outcome as feeding it whole.
    static func expectSameForEverySplit(_ raw: String, limits: ParseLimits = ParseLimits()) -> Result<[HTTPRequestParser.Event], HTTPParseError> {
        let bytes = Array(raw.utf8)
        let whole = parse([bytes], limits: limits)
        for cut in 1..<max(1, bytes.count) {
            let split = parse([Array(bytes[..<cut]), Array(bytes[cut...])], limits: limits)
            #expect(describe(split) == describe(whole), "split at byte \(cut) of \(raw.debugDescription)")
        }
        let byteByByte = parse(bytes.map { [$0] }, limits: limits)
        #expect(describe(byteByByte) == describe(whole), "one byte at a time: \(raw.debugDescription)")
        return whole
    }

    static func describe(_ result: Result<[HTTPRequestParser.Event], HTTPParseError>) -> String {
        switch result {
        case .success(let events): "\(events)"
        case .failure(let error): "error \(error)"
        }
    }

    static func heads(_ result: Result<[HTTPRequestParser.Event], HTTPParseError>) -> [HTTPRequestHead] {
        guard case .success(let events) = result else { return [] }
        return events.compactMap { if case .head(let head) = $0 { head } else { nil } }
    }

    static func bodies(_ result: Result<[HTTPRequestParser.Event], HTTPParseError>) -> [String] {
        guard case .success(let events) = result else { return [] }
        return events.compactMap { if case .body(let bytes) = $0 { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }

    @Test func simpleGet() throws {
        let result = Self.expectSameForEverySplit("GET /health/live?verbose=1 HTTP/1.1\r\nHost: example.com\r\nX-Thing:  spaced value \r\n\r\n")
        let head = try #require(Self.heads(result).first)
        #expect(head.method == .get)
        #expect(head.path == "/health/live")
        #expect(head.query == "verbose=1")
        #expect(head.version == .http1_1)
        #expect(head.keepAlive)
        #expect(head.headers["x-thing"] == "spaced value")
        #expect(head.headers["HOST"] == "example.com")
        guard case .success(let events) = result else { Issue.record("failed"); return }
        #expect(events.count == 2)
        #expect(events.last == .end(trailers: HTTPHeaders()))
    }

    @Test func contentLengthBody() {
        let result = Self.expectSameForEverySplit("POST /v1/quotes HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(Self.bodies(result) == ["hello world"])
        #expect(Self.heads(result).first?.contentLength == 11)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let raw = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6 ; q=\"quoted;\\\"x\"\r\n world\r\n0\r\nChecksum: abc\r\n\r\n"
        let result = Self.expectSameForEverySplit(raw)
        #expect(Self.bodies(result) == ["hello world"])
        guard case .success(let events) = result, case .end(let trailers)? = events.last else {
            Issue.record("no end event: \(result)")
            return
        }
        #expect(trailers["checksum"] == "abc")
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let raw = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nokGET /c HTTP/1.1\r\nHost: a\r\n\r\n"
        let result = Self.expectSameForEverySplit(raw)
        #expect(Self.heads(result).map(\.path) == ["/a", "/b", "/c"])
        #expect(Self.bodies(result) == ["ok"])
    }

    @Test func persistenceRules() {
        #expect(Self.heads(Self.parse([Array("GET / HTTP/1.0\r\n\r\n".utf8)])).first?.keepAlive == false)
        #expect(Self.heads(Self.parse([Array("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8)])).first?.keepAlive == true)
        #expect(Self.heads(Self.parse([Array("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n".utf8)])).first?.keepAlive == false)
    }

    @Test func leadingEmptyLinesAreIgnored() {
        let result = Self.expectSameForEverySplit("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(Self.heads(result).count == 1)
    }

    @Test func absoluteFormTargetUsesItsAuthority() throws {
        let head = try #require(Self.heads(Self.expectSameForEverySplit("GET http://api.example.com/v1/me?x=1 HTTP/1.1\r\nHost: other\r\n\r\n")).first)
        #expect(head.path == "/v1/me")
        #expect(head.query == "x=1")
        #expect(head.headers["host"] == "api.example.com")
    }

    @Test func expectContinue() throws {
        let head = try #require(Self.heads(Self.parse([Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8)])).first)
        #expect(head.expectsContinue)
    }

    @Test(arguments: [
        // Request smuggling shapes (Go transfer.go, llhttp strict mode).
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),           // obs-fold
        ("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),                        // leading whitespace
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),               // bare CR
        ("GET / HTTP/1.1\nHost: a\n\n", 400),                                // bare LF
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", 400),            // NUL in a value
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", 400),            // control character
        ("GET / HTTP/1.1\r\nHost: a\r\nX\u{0}Y: 1\r\n\r\n", 400),            // NUL in a name
        ("GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n\r\n", 400),                // space in a name
        ("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),               // empty name
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),                                     // missing Host
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),               // two Hosts
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),                        // invalid Host
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                         // double space
        ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400),                          // not origin-form
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501),                         // unknown method
        ("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                          // not a token
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
        // Chunked framing errors.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhelloo\r\n", 400), // data longer than size
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", 400),
    ])
    func rejects(raw: String, status: Int) {
        let result = Self.expectSameForEverySplit(raw)
        guard case .failure(let error) = result else {
            Issue.record("accepted \(raw.debugDescription): \(result)")
            return
        }
        #expect(error.status.code == status, "\(raw.debugDescription) gave \(error)")
    }

    @Test func limits() {
        var limits = ParseLimits()
        limits.maxRequestLineBytes = 64
        limits.maxHeadBytes = 256
        limits.maxHeaderCount = 3
        limits.maxBodyBytes = 10
        let longTarget = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(Self.status(Self.expectSameForEverySplit(longTarget, limits: limits)) == 414)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(Self.status(Self.expectSameForEverySplit(manyHeaders, limits: limits)) == 431)
        let bigHead = "GET / HTTP/1.1\r\nHost: a\r\nA: " + String(repeating: "x", count: 300) + "\r\n\r\n"
        #expect(Self.status(Self.expectSameForEverySplit(bigHead, limits: limits)) == 431)
        let bigBody = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
        #expect(Self.status(Self.expectSameForEverySplit(bigBody, limits: limits)) == 413)
        let hugeLength = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"
        #expect(Self.status(Self.expectSameForEverySplit(hugeLength, limits: limits)) == 413)
        let bigChunks = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n"
        #expect(Self.status(Self.expectSameForEverySplit(bigChunks, limits: limits)) == 413)
        // Unterminated requests within the limits just wait for more bytes.
        #expect(Self.status(Self.expectSameForEverySplit("GET / HTTP/1.1\r\nHost: a\r\n", limits: limits)) == nil)
    }

    @Test func perRequestBodyLimit() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n".utf8))
        guard case .head? = try parser.next() else { Issue.record("no head"); return }
        #expect(throws: HTTPParseError.bodyTooLarge) { try parser.limitBody(to: 10) }
    }

    @Test func errorsAreFinal() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/3.0\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.unsupportedVersion) { _ = try parser.next() }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.unsupportedVersion) { _ = try parser.next() }
    }

    static func status(_ result: Result<[HTTPRequestParser.Event], HTTPParseError>) -> Int? {
        if case .failure(let error) = result { return error.status.code }
        return nil
    }
}
