import Foundation

/// The address a request really came from. Behind a load balancer the TCP peer is the
/// balancer: its `X-Forwarded-For` is believed only when the peer is one of `TRUSTED_PROXIES`,
/// and then the right-most entry that is not itself a trusted proxy is the client (entries
/// further left were written by the client and prove nothing).
public struct ClientAddressResolver: Sendable {
    let trusted: [Rule]

    enum Rule: Sendable, Equatable {
        case exact(String)
        case ipv4(network: UInt32, mask: UInt32)
    }

    /// `proxies`: IP addresses and IPv4 CIDR blocks (`10.0.0.0/8`).
    public init(trustedProxies proxies: [String]) {
        trusted = proxies.compactMap { entry in
            let parts = entry.split(separator: "/")
            if parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits), let network = Self.ipv4(String(parts[0])) {
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                return .ipv4(network: network & mask, mask: mask)
            }
            return entry.isEmpty ? nil : .exact(entry)
        }
    }

    /// The peer's IP without its port: `203.0.113.9:51234` → `203.0.113.9`, `[::1]:80` → `::1`.
    public static func host(of peer: String) -> String {
        if peer.hasPrefix("["), let end = peer.firstIndex(of: "]") { return String(peer[peer.index(after: peer.startIndex)..<end]) }
        if peer.filter({ $0 == ":" }).count == 1 { return String(peer.split(separator: ":")[0]) }
        return peer
    }

    public func resolve(peer: String, forwardedFor: String?) -> String {
        var address = Self.host(of: peer)
        guard isTrusted(address), let forwardedFor else { return address }
        for hop in forwardedFor.split(separator: ",").reversed() {
            address = Self.host(of: hop.trimmingCharacters(in: .whitespaces))
            if !isTrusted(address) { return address }
        }
        return address
    }

    func isTrusted(_ address: String) -> Bool {
        trusted.contains { rule in
            switch rule {
            case .exact(let ip): ip == address
            case .ipv4(let network, let mask): Self.ipv4(address).map { $0 & mask == network } ?? false
            }
        }
    }

    static func ipv4(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ ($0 ?? 256) <= 255 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1! }
    }
}
