import Foundation
import Glibc

/// A response as read off the wire by `TestConnection`.
public struct TestResponse: Sendable {
    /// The status line's HTTP version, e.g. "HTTP/1.1".
    public let version: String
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object (fails the test via the thrown error otherwise).
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestClientError.notJSONObject(text)
        }
        return object
    }
}

public enum TestClientError: Error {
    case connectFailed(Int32)
    case timedOut
    case closedEarly(received: Int)
    case malformed(String)
    case notJSONObject(String)
}

/// A blocking HTTP/1.1 client on one TCP connection, for socket-level tests. Its blocking calls
/// run on a dispatch queue, never on Swift's cooperative pool (which the server's handlers need).
public final class TestConnection: @unchecked Sendable {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "test.connection")
    private let port: UInt16, host: String, timeout: Double
    /// When the last exchange ended (or the connection opened): see `request`.
    private var idleSince = ContinuousClock.now

    public init(port: UInt16, host: String = "127.0.0.1", timeout: Double = 15) throws {
        self.port = port
        self.host = host
        self.timeout = timeout
        fd = try Self.connect(port: port, host: host)
        setTimeout(timeout)
    }

    private static func connect(port: UInt16, host: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestClientError.connectFailed(code)
        }
        return fd
    }

    deinit { Glibc.close(fd) }

    public func setTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends raw bytes as they are.
    public func send(_ bytes: [UInt8]) async throws {
        try await onQueue {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { throw TestClientError.closedEarly(received: offset) }
                offset += sent
            }
        }
    }

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Sends a request with the usual headers.
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        async throws -> TestResponse
    {
        var head = "\(method) \(path) HTTP/1.1\r\nhost: localhost\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "content-length: \(body.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + (body ?? [])
        let idle = ContinuousClock.now - idleSince
        defer { idleSince = ContinuousClock.now }
        do {
            try await send(bytes)
            return try await readResponse(isHead: method == "HEAD")
        } catch TestClientError.closedEarly(received: 0) where idle >= staleAfter {
            // The server drops a connection that stays silent past its head timeout (10 s), as
            // nginx does; a test that opened this one early and used it late under load meets
            // that. Like a browser on a stale keep-alive connection: a new one, sent once more.
            // (The server never saw the request: it closed before any byte of it arrived.)
            try await onQueue {
                Glibc.close(self.fd)
                self.buffer.removeAll()
                self.fd = try Self.connect(port: self.port, host: self.host)
                self.setTimeout(self.timeout)
            }
            try await send(bytes)
            return try await readResponse(isHead: method == "HEAD")
        }
    }

    /// Idle this long, the server may have closed the connection (its head timeout is 10 s;
    /// a test that shortens it shortens this too).
    public var staleAfter: Duration = .seconds(9)

    /// Sends a JSON request (`json` is serialised with JSONSerialization) with an optional
    /// bearer token.
    public func json(_ method: String, _ path: String, _ json: Any? = nil, token: String? = nil,
                     headers: [(String, String)] = []) async throws -> TestResponse {
        var allHeaders = headers
        if let token { allHeaders.append(("Authorization", "Bearer \(token)")) }
        var body: [UInt8]?
        if let json {
            allHeaders.append(("Content-Type", "application/json"))
            body = Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
        }
        return try await request(method, path, headers: allHeaders, body: body)
    }

    /// Reads one response (Content-Length or chunked framing; no body for HEAD, 1xx, 204, 304).
    public func readResponse(isHead: Bool = false) async throws -> TestResponse {
        try await onQueue { try self.readResponseBlocking(isHead: isHead) }
    }

    /// True when the server closed the connection (EOF) within the timeout.
    public func isClosedByPeer() async -> Bool {
        (try? await onQueue { () -> Bool in
            if !self.buffer.isEmpty { return false }
            var byte: UInt8 = 0
            return recv(self.fd, &byte, 1, 0) == 0
        }) ?? false
    }

    private func readResponseBlocking(isHead: Bool) throws -> TestResponse {
        let headEnd = try readUntil { $0.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound }
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError.malformed(headText) }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        var body: [UInt8] = []
        if isHead || status < 200 || status == 204 || status == 304 {
            // no body
        } else if header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                let lineEnd = try readUntil { $0.firstRange(of: Array("\r\n".utf8))?.upperBound }
                let size = Int(String(decoding: buffer[..<(lineEnd - 2)], as: UTF8.self), radix: 16) ?? 0
                buffer.removeFirst(lineEnd)
                _ = try readUntil { $0.count >= size + 2 ? size + 2 : nil }
                body += buffer[..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else if let length = header("content-length").flatMap(Int.init) {
            _ = try readUntil { $0.count >= length ? length : nil }
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        }
        return TestResponse(version: String(statusLine[0]), status: status, headers: headers, body: body)
    }

    private func readUntil(_ complete: ([UInt8]) -> Int?) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = complete(buffer) { return end }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 {
                buffer += chunk[..<count]
            } else if count == 0 {
                throw TestClientError.closedEarly(received: buffer.count)
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw TestClientError.timedOut
            } else if errno != EINTR {
                throw TestClientError.closedEarly(received: buffer.count)
            }
        }
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
