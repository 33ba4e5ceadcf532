/// Why a request cannot be parsed. Every case is fatal for the connection: answer `status`
/// with `Connection: close` (when no response has started) and close (h11's status hint).
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case requestLineTooLong
    case headTooLarge
    case tooManyHeaders
    case bodyTooLarge
    case invalidRequestLine(String)
    case unsupportedVersion
    case unknownMethod
    case invalidHeader(String)
    case missingHost
    case invalidContentLength
    case contentLengthWithTransferEncoding
    case unsupportedTransferEncoding(String)
    case invalidTransferEncoding
    case invalidChunk(String)
    case unsupportedExpectation
    case bareCarriageReturnOrLineFeed

    public var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unknownMethod, .unsupportedTransferEncoding: .notImplemented
        case .unsupportedExpectation: .expectationFailed
        default: .badRequest
        }
    }

    /// A short explanation safe to send to the client.
    public var description: String {
        switch self {
        case .requestLineTooLong: "the request line is too long"
        case .headTooLarge: "the request header section is too large"
        case .tooManyHeaders: "too many header fields"
        case .bodyTooLarge: "the request body is too large"
        case .invalidRequestLine(let why): "malformed request line: \(why)"
        case .unsupportedVersion: "only HTTP/1.x is supported"
        case .unknownMethod: "request method not implemented"
        case .invalidHeader(let why): "malformed header field: \(why)"
        case .missingHost: "an HTTP/1.1 request needs exactly one Host header"
        case .invalidContentLength: "invalid Content-Length"
        case .contentLengthWithTransferEncoding: "Content-Length and Transfer-Encoding must not be combined"
        case .unsupportedTransferEncoding(let coding): "unsupported transfer coding \"\(coding)\""
        case .invalidTransferEncoding: "invalid Transfer-Encoding"
        case .invalidChunk(let why): "malformed chunked body: \(why)"
        case .unsupportedExpectation: "only Expect: 100-continue is supported"
        case .bareCarriageReturnOrLineFeed: "a line must end with CRLF; bare CR or LF is not allowed"
        }
    }
}
