/// An incremental, sans-IO HTTP/1.1 request parser (RFC 9112), strict by default.
///
/// Feed bytes with `append`, then pull events with `next()` until it returns nil (more bytes
/// needed). Bytes may arrive split anywhere. Events for pipelined requests come one request at a
/// time, so a server answers in order simply by not pulling while a response is pending.
/// Any thrown error is final: answer `error.status` with `Connection: close`, then close.
///
/// Framing follows RFC 9112 §6.3 with Go's and llhttp's request-smuggling hardening: CL with TE,
/// differing or malformed CL, codings other than `chunked`, obs-fold, bare CR or LF,
/// whitespace before the colon and control characters are all rejected.
public struct HTTPRequestParser: Sendable {
    public enum Event: Sendable, Equatable {
        case head(HTTPRequestHead)
        case body([UInt8])
        case end(trailers: HTTPHeaders)
    }

    private enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunkSizeLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case finishing
        case failed(HTTPParseError)
    }

    public let limits: ParseLimits
    private var buffer: [UInt8] = []
    /// Index of the first unconsumed byte of `buffer`.
    private var start = 0
    private var state = State.head
    // Head/trailer scanning progress, relative to `start`, so no byte is examined twice.
    private var scanOffset = 0
    private var lineStartOffset = 0
    private var lineCount = 0
    private var leadingEmptyLines = 0
    private var bodyLimit: Int
    private var bodyReceived = 0
    private var trailers = HTTPHeaders()

    public init(limits: ParseLimits = ParseLimits()) {
        self.limits = limits
        self.bodyLimit = limits.maxBodyBytes
    }

    /// Bytes received but not yet turned into events.
    public var bufferedByteCount: Int { buffer.count - start }

    /// True between requests: nothing of a next request has arrived yet.
    public var isIdle: Bool {
        if case .head = state { return bufferedByteCount == 0 }
        return false
    }

    /// True while a head is complete but its body is not.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunkSizeLine, .chunkData, .chunkDataEnd, .trailers: true
        default: false
        }
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// Lowers the body limit for the request whose head was just returned (e.g. per route).
    public mutating func limitBody(to bytes: Int) throws(HTTPParseError) {
        bodyLimit = min(bytes, limits.maxBodyBytes)
        if case .fixedBody(let remaining) = state, remaining > bodyLimit { throw fail(.bodyTooLarge) }
    }

    /// The next event, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? {
        switch state {
        case .failed(let error):
            throw error
        case .head:
            return try nextHead()
        case .fixedBody(let remaining):
            let available = min(remaining, bufferedByteCount)
            guard available > 0 else { return nil }
            let chunk = Array(buffer[start..<start + available])
            start += available
            state = remaining == available ? .finishing : .fixedBody(remaining: remaining - available)
            return .body(chunk)
        case .chunkSizeLine:
            guard try readChunkSizeLine() else { return nil }
            return try next()
        case .chunkData(let remaining):
            let available = min(remaining, bufferedByteCount)
            guard available > 0 else { return nil }
            let chunk = Array(buffer[start..<start + available])
            start += available
            state = remaining == available ? .chunkDataEnd : .chunkData(remaining: remaining - available)
            return .body(chunk)
        case .chunkDataEnd:
            guard bufferedByteCount >= 2 else {
                if bufferedByteCount == 1, buffer[start] != HTTPGrammar.cr { throw fail(.invalidChunk("chunk data longer than its size")) }
                return nil
            }
            guard buffer[start] == HTTPGrammar.cr, buffer[start + 1] == HTTPGrammar.lf else {
                throw fail(.invalidChunk("chunk data longer than its size"))
            }
            start += 2
            state = .chunkSizeLine
            return try next()
        case .trailers:
            guard try readTrailers() else { return nil }
            return try next()
        case .finishing:
            let event = Event.end(trailers: trailers)
            resetForNextRequest()
            return event
        }
    }

    // MARK: - Head

    private mutating func nextHead() throws(HTTPParseError) -> Event? {
        // RFC 9112 §2.2: ignore empty lines before a request line (some clients add them after a POST body).
        while lineCount == 0, scanOffset == 0, bufferedByteCount >= 1, buffer[start] == HTTPGrammar.cr {
            guard bufferedByteCount >= 2 else { return nil }
            guard buffer[start + 1] == HTTPGrammar.lf else { throw fail(.bareCarriageReturnOrLineFeed) }
            leadingEmptyLines += 1
            guard leadingEmptyLines <= limits.maxLeadingEmptyLines else {
                throw fail(.invalidRequestLine("too many empty lines before the request line"))
            }
            start += 2
        }
        guard let headLength = try scanLines(isTrailer: false) else { return nil }
        let head = try buffer.withUnsafeBufferPointer { whole throws(HTTPParseError) -> HTTPRequestHead in
            try Self.parseHead(UnsafeBufferPointer(rebasing: whole[start..<start + headLength]))
        }
        start += headLength
        resetScan()
        try startBody(for: head)
        return .head(head)
    }

    /// Scans for the empty line that ends a head or trailer section, validating line endings
    /// on the way. Returns the section's length (empty line included) once complete.
    private mutating func scanLines(isTrailer: Bool) throws(HTTPParseError) -> Int? {
        let count = bufferedByteCount
        var offset = scanOffset
        var lineStart = lineStartOffset
        var lines = lineCount
        var sectionEnd: Int?
        // The request line is a line but not a field: a head may hold maxHeaderCount fields after it.
        let maxLines = limits.maxHeaderCount + (isTrailer ? 0 : 1)
        let maxBytes = isTrailer ? limits.maxHeadBytes / 2 : limits.maxHeadBytes
        var failure: HTTPParseError?
        buffer.withUnsafeBufferPointer { whole in
            let bytes = UnsafeBufferPointer(rebasing: whole[start...])
            while offset < count {
                let byte = bytes[offset]
                if byte == HTTPGrammar.lf {
                    guard offset > 0, bytes[offset - 1] == HTTPGrammar.cr else { failure = .bareCarriageReturnOrLineFeed; return }
                    let lineLength = offset - 1 - lineStart
                    if lineLength == 0 {
                        sectionEnd = offset + 1
                        return
                    }
                    if lines == 0, !isTrailer, lineLength > limits.maxRequestLineBytes { failure = .requestLineTooLong; return }
                    lines += 1
                    if lines > maxLines { failure = .tooManyHeaders; return }
                    lineStart = offset + 1
                } else if byte == HTTPGrammar.cr {
                    // A CR must be followed by LF; if the next byte has not arrived, look again later.
                    guard offset + 1 < count else { return }
                    if bytes[offset + 1] != HTTPGrammar.lf { failure = .bareCarriageReturnOrLineFeed; return }
                }
                offset += 1
                if lines == 0, !isTrailer, offset - lineStart > limits.maxRequestLineBytes + 1 { failure = .requestLineTooLong; return }
                if offset > maxBytes { failure = .headTooLarge; return }
            }
        }
        if let failure { throw fail(failure) }
        scanOffset = offset
        lineStartOffset = lineStart
        lineCount = lines
        return sectionEnd
    }

    private mutating func resetScan() {
        scanOffset = 0
        lineStartOffset = 0
        lineCount = 0
    }

    /// Splits a complete section (ending in CRLF CRLF) into its non-empty lines.
    private static func lines(of bytes: UnsafeBufferPointer<UInt8>) -> [UnsafeBufferPointer<UInt8>] {
        var lines: [UnsafeBufferPointer<UInt8>] = []
        var lineStart = 0
        for index in 0..<bytes.count where bytes[index] == HTTPGrammar.lf {
            if index - 1 > lineStart { lines.append(UnsafeBufferPointer(rebasing: bytes[lineStart..<index - 1])) }
            lineStart = index + 1
        }
        return lines
    }

    static func parseHead(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPRequestHead {
        let lines = lines(of: bytes)
        guard let requestLine = lines.first else { throw .invalidRequestLine("empty") }
        let (method, requestTarget, version) = try parseRequestLine(requestLine)
        var target = requestTarget
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let (name, value) = try parseField(line)
            headers.addLowercased(name: name, value: value)
        }
        return try interpret(method: method, target: &target, version: version, headers: &headers)
    }

    private static func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError)
        -> (HTTPMethod?, String, HTTPVersion)
    {
        guard let firstSpace = line.firstIndex(of: HTTPGrammar.space) else { throw .invalidRequestLine("no target") }
        let methodBytes = UnsafeBufferPointer(rebasing: line[..<firstSpace])
        guard HTTPGrammar.isToken(methodBytes) else { throw .invalidRequestLine("bad method") }
        let rest = line[(firstSpace + 1)...]
        guard let secondSpace = rest.firstIndex(of: HTTPGrammar.space) else { throw .invalidRequestLine("no version") }
        let targetBytes = UnsafeBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace])
        guard !targetBytes.isEmpty, targetBytes.allSatisfy(HTTPGrammar.isTargetChar) else {
            throw .invalidRequestLine("bad request-target")
        }
        let versionBytes = Array(line[(secondSpace + 1)...])
        guard versionBytes.count == 8, versionBytes.starts(with: "HTTP/".utf8), versionBytes[6] == UInt8(ascii: "."),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(versionBytes[5]),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(versionBytes[7])
        else { throw .invalidRequestLine("bad HTTP version") }
        // RFC 9112 §2.3: a later minor version of HTTP/1 is served as the highest we implement
        // (1.1), and the response says HTTP/1.1; only another major version is refused (505).
        guard versionBytes[5] == UInt8(ascii: "1") else { throw .unsupportedVersion }
        let version: HTTPVersion = versionBytes[7] == UInt8(ascii: "0") ? .http1_0 : .http1_1
        return (HTTPMethod(bytes: methodBytes), String(decoding: targetBytes, as: UTF8.self), version)
    }

    private static func parseField(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (String, String) {
        if line[0] == HTTPGrammar.space || line[0] == HTTPGrammar.tab {
            throw .invalidHeader("obsolete line folding")
        }
        guard let colon = line.firstIndex(of: HTTPGrammar.colon) else { throw .invalidHeader("no colon") }
        let nameBytes = UnsafeBufferPointer(rebasing: line[..<colon])
        if let last = nameBytes.last, last == HTTPGrammar.space || last == HTTPGrammar.tab {
            throw .invalidHeader("whitespace before the colon")
        }
        guard HTTPGrammar.isToken(nameBytes) else { throw .invalidHeader("bad field name") }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == HTTPGrammar.space || line[valueStart] == HTTPGrammar.tab { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == HTTPGrammar.space || line[valueEnd - 1] == HTTPGrammar.tab { valueEnd -= 1 }
        let valueBytes = UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd])
        guard valueBytes.allSatisfy({ HTTPGrammar.isFieldValueChar[Int($0)] }) else {
            throw .invalidHeader("control character in a field value")
        }
        return (HTTPGrammar.asciiLowercased(nameBytes), String(decoding: valueBytes, as: UTF8.self))
    }

    /// Applies the request-level rules: target form, Host, framing, Expect, persistence.
    private static func interpret(method: HTTPMethod?, target: inout String, version: HTTPVersion,
                                  headers: inout HTTPHeaders) throws(HTTPParseError) -> HTTPRequestHead {
        // RFC 9112 §3.2: exactly one Host on HTTP/1.1, and it must be a valid authority.
        let hosts = headers.values("host")
        if version == .http1_1, hosts.count != 1 { throw .missingHost }
        if hosts.count > 1 { throw .missingHost }
        if let host = hosts.first, !isValidHost(host) { throw .invalidHeader("invalid Host") }

        guard let method, method != .connect else { throw .unknownMethod }

        let (path, query) = try splitTarget(target, method: method, headers: &headers)

        // Framing, RFC 9112 §6.1-6.3.
        var contentLength: Int?
        var isChunked = false
        let transferCodings = headers.values("transfer-encoding")
        let lengths = headers.values("content-length")
        if !transferCodings.isEmpty {
            if !lengths.isEmpty { throw .contentLengthWithTransferEncoding }
            // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            if version == .http1_0 { throw .invalidTransferEncoding }
            let codings = transferCodings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingASCIIWhitespace().lowercased() }
            if codings.contains(where: \.isEmpty) { throw .invalidTransferEncoding }
            if let unknown = codings.first(where: { $0 != "chunked" }) { throw .unsupportedTransferEncoding(unknown) }
            // Only one `chunked`, and it is last: anything else cannot be framed safely.
            guard codings == ["chunked"] else { throw .invalidTransferEncoding }
            isChunked = true
        } else if !lengths.isEmpty {
            var agreed: Int?
            for value in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
                let digits = value.trimmingASCIIWhitespace()
                guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw .invalidContentLength }
                // More digits than any limit can allow: too large, not malformed.
                let length = digits.count > 18 ? Int.max : Int(digits)!
                guard agreed == nil || agreed == length else { throw .invalidContentLength }
                agreed = length
            }
            contentLength = agreed
        }

        let hasBody = isChunked || (contentLength ?? 0) > 0
        var expectsContinue = false
        if let expectation = headers["expect"] {
            guard expectation.lowercased() == "100-continue" else { throw .unsupportedExpectation }
            expectsContinue = hasBody && version == .http1_1
        }

        let connection = headers.tokens("connection")
        let keepAlive = version == .http1_1 ? !connection.contains("close") : connection.contains("keep-alive")
        return HTTPRequestHead(method: method, target: target, path: path, query: query, version: version,
                               headers: headers, keepAlive: keepAlive, expectsContinue: expectsContinue,
                               contentLength: contentLength, isChunked: isChunked)
    }

    /// Splits origin-form and absolute-form targets into path and query; for absolute-form the
    /// target's authority replaces Host (RFC 9112 §3.2.2).
    private static func splitTarget(_ target: String, method: HTTPMethod, headers: inout HTTPHeaders)
        throws(HTTPParseError) -> (String, String?)
    {
        if target == "*" {
            guard method == .options else { throw .invalidRequestLine("asterisk-form is only for OPTIONS") }
            return ("*", nil)
        }
        var pathAndQuery = Substring(target)
        if !target.hasPrefix("/") {
            let lower = target.lowercased()
            let schemeLength = lower.hasPrefix("http://") ? 7 : lower.hasPrefix("https://") ? 8 : 0
            guard schemeLength > 0 else { throw .invalidRequestLine("bad request-target") }
            let afterScheme = target.dropFirst(schemeLength)
            let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
            let authority = String(afterScheme[..<authorityEnd])
            guard !authority.isEmpty, isValidHost(authority), !authority.contains("@") else {
                throw .invalidRequestLine("bad authority")
            }
            headers.replaceOrAdd(name: "host", value: authority)
            pathAndQuery = afterScheme[authorityEnd...]
            if pathAndQuery.isEmpty || pathAndQuery.first == "?" { pathAndQuery = "/" + pathAndQuery }
        }
        guard let questionMark = pathAndQuery.firstIndex(of: "?") else { return (String(pathAndQuery), nil) }
        return (String(pathAndQuery[..<questionMark]), String(pathAndQuery[pathAndQuery.index(after: questionMark)...]))
    }

    /// `uri-host [ ":" port ]`: reg-name, IPv4 or a bracketed IPv6 literal; empty is allowed.
    private static func isValidHost(_ host: String) -> Bool {
        host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "-._~%!$&'()*+,;=:[]".utf8.contains(byte)
            }
        }
    }

    // MARK: - Body

    private mutating func startBody(for head: HTTPRequestHead) throws(HTTPParseError) {
        bodyLimit = limits.maxBodyBytes
        bodyReceived = 0
        trailers = HTTPHeaders()
        if head.isChunked {
            state = .chunkSizeLine
        } else if let length = head.contentLength, length > 0 {
            guard length <= bodyLimit else { throw fail(.bodyTooLarge) }
            state = .fixedBody(remaining: length)
        } else {
            state = .finishing
        }
    }

    private mutating func readChunkSizeLine() throws(HTTPParseError) -> Bool {
        let count = bufferedByteCount
        let searchEnd = min(count, limits.maxChunkLineBytes + 2)
        var lineEnd: Int?
        for offset in 0..<searchEnd {
            let byte = buffer[start + offset]
            if byte == HTTPGrammar.lf {
                guard offset > 0, buffer[start + offset - 1] == HTTPGrammar.cr else { throw fail(.bareCarriageReturnOrLineFeed) }
                lineEnd = offset - 1
                break
            }
            if byte == HTTPGrammar.cr, offset + 1 < count, buffer[start + offset + 1] != HTTPGrammar.lf {
                throw fail(.bareCarriageReturnOrLineFeed)
            }
        }
        guard let lineEnd else {
            if count > limits.maxChunkLineBytes + 1 { throw fail(.invalidChunk("chunk-size line too long")) }
            return false
        }
        var size = 0
        var digits = 0
        while digits < lineEnd, let value = hexValue(buffer[start + digits]) {
            guard digits < 15 else { throw fail(.invalidChunk("chunk size too large")) }
            size = size << 4 | Int(value)
            digits += 1
        }
        guard digits > 0 else { throw fail(.invalidChunk("missing chunk size")) }
        let extensionsValid = buffer.withUnsafeBufferPointer { whole in
            HTTPGrammar.isValidChunkExtensions(UnsafeBufferPointer(rebasing: whole[(start + digits)..<(start + lineEnd)]))
        }
        guard extensionsValid else { throw fail(.invalidChunk("malformed chunk extension")) }
        guard size <= bodyLimit - bodyReceived else { throw fail(.bodyTooLarge) }
        bodyReceived += size
        start += lineEnd + 2
        state = size == 0 ? .trailers : .chunkData(remaining: size)
        return true
    }

    private mutating func readTrailers() throws(HTTPParseError) -> Bool {
        guard let length = try scanLines(isTrailer: true) else { return false }
        let fields = try buffer.withUnsafeBufferPointer { whole throws(HTTPParseError) -> [(String, String)] in
            try Self.lines(of: UnsafeBufferPointer(rebasing: whole[start..<start + length])).map {
                line throws(HTTPParseError) in try Self.parseField(line)
            }
        }
        for (name, value) in fields { trailers.addLowercased(name: name, value: value) }
        start += length
        resetScan()
        state = .finishing
        return true
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }

    // MARK: - Bookkeeping

    private mutating func fail(_ error: HTTPParseError) -> HTTPParseError {
        state = .failed(error)
        return error
    }

    private mutating func resetForNextRequest() {
        state = .head
        leadingEmptyLines = 0
        trailers = HTTPHeaders()
        resetScan()
    }

    /// Drops consumed bytes when that is cheap relative to what remains.
    private mutating func compactIfWorthIt() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096, start > buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
