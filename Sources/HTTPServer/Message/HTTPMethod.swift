/// The request methods this server understands (RFC 9110 §9 plus PATCH, RFC 5789).
/// Any other syntactically valid method is answered 501 by the parser.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
    case options = "OPTIONS", trace = "TRACE", connect = "CONNECT"
    /// The safe, idempotent method with a body (IETF httpbis "QUERY"): recognised, so a
    /// resource that does not take it answers 405 with `Allow`; a method we do not recognise
    /// at all (`BREW`) is 501 (RFC 9110 §15.6.2).
    case query = "QUERY"

    init?(bytes: UnsafeBufferPointer<UInt8>) {
        // Fast path for the common methods without building a String.
        switch bytes.count {
        case 3 where bytes[0] == 0x47 && bytes[1] == 0x45 && bytes[2] == 0x54: self = .get
        case 4 where bytes[0] == 0x50 && bytes[1] == 0x4F && bytes[2] == 0x53 && bytes[3] == 0x54: self = .post
        default:
            guard let method = HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self)) else { return nil }
            self = method
        }
    }
}
