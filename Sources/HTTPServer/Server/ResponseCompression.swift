import CZlib

/// gzip for responses worth compressing (RFC 9110 §8.4), done in the handler's task, never on
/// an I/O loop. Compresses when the client accepts gzip, the body is at least `minimumBytes`
/// of a textual type, and the result is actually smaller.
public struct ResponseCompression: Sendable {
    public var minimumBytes: Int
    public var level: Int32

    public init(minimumBytes: Int = 1024, level: Int32 = 5) {
        self.minimumBytes = minimumBytes
        self.level = level
    }

    public func apply(to response: HTTPResponse, acceptEncoding: String?) -> HTTPResponse {
        guard response.status.allowsBody, response.headers["content-encoding"] == nil,
              let contentType = response.headers["content-type"], Self.isCompressible(contentType)
        else { return response }
        var response = response
        // The representation varies with Accept-Encoding whether or not this one is compressed.
        response.headers.add(name: "vary", value: "accept-encoding")
        guard response.body.count >= minimumBytes, Self.acceptsGzip(acceptEncoding),
              let compressed = Self.gzip(response.body, level: level), compressed.count < response.body.count
        else { return response }
        response.body = compressed
        response.headers.add(name: "content-encoding", value: "gzip")
        return response
    }

    static func isCompressible(_ contentType: String) -> Bool {
        let type = contentType.lowercased()
        return type.hasPrefix("text/") || type.contains("json") || type.contains("xml") || type.contains("javascript")
    }

    /// True when `gzip` (or `*`) is listed with a non-zero quality value.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var wildcard: Bool?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";").map { $0.trimmingASCIIWhitespace().lowercased() }
            guard let coding = parts.first else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" { return quality > 0 }
            if coding == "*" { wildcard = quality > 0 }
        }
        return wildcard ?? false
    }

    /// One-shot gzip (deflate with the gzip wrapper: window bits 15 + 16).
    static func gzip(_ input: [UInt8], level: Int32) -> [UInt8]? {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var input = input
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = UInt32(destination.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
