/// A response to serialise. The server adds `Date`, `Content-Length` (or chunked framing),
/// and `Connection` itself; handlers set the rest.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus, contentType: String, body: some Sequence<UInt8>) {
        self.status = status
        self.headers = ["content-type": contentType]
        self.body = Array(body)
    }
}
