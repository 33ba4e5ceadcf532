/// Bounds on what a client may send, each enforced with its own status code.
public struct ParseLimits: Sendable, Equatable {
    /// Longest request line (method, target, version): 414 beyond.
    public var maxRequestLineBytes = 8 * 1024
    /// Longest head, request line and headers together: 431 beyond.
    public var maxHeadBytes = 32 * 1024
    /// Most header fields (Host included, the request line not), and separately most trailer
    /// fields: 431 beyond. 128 leaves room for 100 ordinary fields plus Host and the few a proxy
    /// adds (Forwarded, Via, X-Forwarded-*), while `maxHeadBytes` still bounds their total size.
    public var maxHeaderCount = 128
    /// Largest body: 413 beyond (a responder may lower it per request).
    public var maxBodyBytes = 10 * 1024 * 1024
    /// Longest chunk-size line including extensions: 400 beyond.
    public var maxChunkLineBytes = 1024
    /// Empty lines tolerated before a request line (RFC 9112 §2.2).
    public var maxLeadingEmptyLines = 8

    public init() {}
}
