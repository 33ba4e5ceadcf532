import Foundation
import Glibc
import Synchronization

/// A loopback relay in front of the sandbox processor's HTTP server, so that it can drop a
/// connection without answering, which an `HTTPResponder` cannot do: the processor marks such
/// an answer with `x-sandbox-drop` (`SandboxPSP+Faults.swift`) and the relay closes the
/// caller's connection instead of passing it on. Everything else passes through unchanged.
///
/// It reads HTTP/1.1 framing only as far as it must: a request or response is its head and a
/// `Content-Length` body (our client and our server both frame so; a chunked request is
/// refused by closing). One blocking thread per connection: callers are our own server's
/// processor client, a handful of connections.
public final class SandboxFaultRelay: Sendable {
    /// The header that tells the relay to drop the connection.
    static let dropHeader = "x-sandbox-drop"

    /// Where callers connect.
    public let port: UInt16
    private let upstreamPort: UInt16
    private let listener: Int32
    private let stopped = Mutex(false)

    /// Listens on `port` (0: a free one) and relays to the processor on `upstreamPort`.
    public init(port: UInt16 = 0, upstreamPort: UInt16) throws {
        self.upstreamPort = upstreamPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw RelayError(message: "socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 128) == 0 else {
            close(listener)
            throw RelayError(message: "cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        self.port = UInt16(bigEndian: actual.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting (connections already open finish their exchange).
    public func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    struct RelayError: Error, CustomStringConvertible {
        let message: String
        var description: String { "sandbox fault relay: \(message)" }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if stopped.withLock({ $0 }) { close(listener); return }
                if errno == EINTR || errno == ECONNABORTED { continue }
                usleep(10_000)  // out of descriptors, say: do not spin
                continue
            }
            let upstreamPort = upstreamPort
            Thread { Self.relay(client: client, upstreamPort: upstreamPort) }.start()
        }
    }

    /// Request by request: the caller's to the processor, the processor's answer back, unless
    /// it says to drop.
    private static func relay(client: Int32, upstreamPort: UInt16) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(client)
            if upstream >= 0 { close(upstream) }
        }
        var address = loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard upstream >= 0, connected == 0 else { return }
        var fromClient = [UInt8](), fromUpstream = [UInt8]()
        while let request = readMessage(from: client, buffer: &fromClient, isResponse: false) {
            guard sendAll(request.bytes, to: upstream) else { return }
            guard let response = readMessage(from: upstream, buffer: &fromUpstream, isResponse: true) else { return }
            if response.drop {
                // As a processor that fails mid-answer: the caller sees the connection end.
                shutdown(client, Int32(SHUT_RDWR))
                return
            }
            guard sendAll(response.bytes, to: client) else { return }
        }
    }

    /// One whole message (head and body) taken from the front of `buffer`, reading more as
    /// needed; nil at EOF, on an error, or for framing the relay does not read.
    private static func readMessage(from fd: Int32, buffer: inout [UInt8], isResponse: Bool) -> (bytes: [UInt8], drop: Bool)? {
        var headEnd: Int?
        while true {
            if headEnd == nil { headEnd = endOfHead(in: buffer) }
            if let headEnd {
                let head = String(decoding: buffer[..<headEnd], as: UTF8.self).lowercased()
                let fields = head.split(separator: "\r\n").dropFirst()
                func value(_ name: String) -> String? {
                    fields.first { $0.hasPrefix(name + ":") }.map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
                }
                if value("transfer-encoding") != nil { return nil }
                let length = value("content-length").flatMap(Int.init) ?? 0
                if buffer.count >= headEnd + length {
                    let message = Array(buffer[..<(headEnd + length)])
                    buffer.removeFirst(headEnd + length)
                    return (message, isResponse && value(dropHeader) != nil)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer += chunk[..<count]
        }
    }

    /// The index just past the blank line ending a message's head, if it is all there.
    private static func endOfHead(in buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 3..<buffer.count where buffer[index] == 0x0A && buffer[index - 1] == 0x0D
            && buffer[index - 2] == 0x0A && buffer[index - 3] == 0x0D {
            return index + 1
        }
        return nil
    }

    private static func sendAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }
}
