import Foundation
import Glibc
import Synchronization

/// A loopback TCP proxy to a real server that a test can break on purpose: `.down` resets every
/// connection and refuses new ones (a stopped database), `.hang` accepts but never answers (a
/// stalled one), `.up` forwards again.
public final class FaultyTCPProxy: Sendable {
    /// `trickle` forwards like `up`, but the server's bytes one at a time with a pause between:
    /// every message boundary then falls between two reads of the client.
    public enum Mode: Sendable { case up, down, hang, trickle }

    public let port: UInt16
    private let upstreamPort: UInt16
    private let listener: Int32
    private let state = Mutex<(mode: Mode, sockets: [Int32], stopped: Bool)>((.up, [], false))

    public init(upstreamPort: UInt16) throws {
        self.upstreamPort = upstreamPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        Glibc.listen(listener, 64)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: bound.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Switches mode; `.down` and `.hang` cut every open connection first.
    public func set(_ mode: Mode) {
        let sockets = state.withLock { state -> [Int32] in
            state.mode = mode
            guard mode != .up else { return [] }
            defer { state.sockets = [] }
            return state.sockets
        }
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    public func stop() {
        state.withLock { $0.stopped = true }
        set(.down)
        shutdown(listener, Int32(SHUT_RDWR))
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
                if state.withLock({ $0.stopped }) { close(listener); return }
                continue
            }
            let mode = state.withLock { $0.mode }
            switch mode {
            case .down:
                close(client)  // like a refused connection: the client sees EOF at once
            case .hang:
                state.withLock { $0.sockets.append(client) }  // held open, never answered
            case .up, .trickle:
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = Self.loopback(port: upstreamPort)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { close(client); close(upstream); continue }
                state.withLock { $0.sockets += [client, upstream] }
                pump(from: client, to: upstream, trickle: false)
                pump(from: upstream, to: client, trickle: mode == .trickle)
            }
        }
    }

    private func pump(from source: Int32, to destination: Int32, trickle: Bool) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16384)
            var one: Int32 = 1
            if trickle { setsockopt(destination, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) }
            pumping: while true {
                let count = recv(source, &buffer, buffer.count, 0)
                if count <= 0 { break }
                guard trickle else {
                    if send(destination, buffer, count, Int32(MSG_NOSIGNAL)) <= 0 { break }
                    continue
                }
                for index in 0..<count {
                    if send(destination, &buffer[index], 1, Int32(MSG_NOSIGNAL)) <= 0 { break pumping }
                    usleep(50)
                }
            }
            shutdown(destination, Int32(SHUT_RDWR))
            shutdown(source, Int32(SHUT_RDWR))
        }
        thread.start()
    }
}
