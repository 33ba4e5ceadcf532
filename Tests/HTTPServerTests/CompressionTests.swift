import CZlib
import Testing
@testable import HTTPServer

struct CompressionTests {
    let compression = ResponseCompression(minimumBytes: 100)
    let largeJSON = HTTPResponse(status: .ok, contentType: "application/json",
                                 body: Array(("[" + Array(repeating: #"{"name":"cover","amount":1234}"#, count: 50).joined(separator: ",") + "]").utf8))

    @Test func compressesWhenAcceptedAndWorthIt() throws {
        let response = compression.apply(to: largeJSON, acceptEncoding: "br;q=1, gzip;q=0.8")
        #expect(response.headers["content-encoding"] == "gzip")
        #expect(response.headers["vary"] == "accept-encoding")
        #expect(response.body.count < largeJSON.body.count / 5)
        #expect(try gunzip(response.body) == largeJSON.body)
    }

    @Test func respectsTheClientAndTheContent() {
        #expect(compression.apply(to: largeJSON, acceptEncoding: nil).headers["content-encoding"] == nil)
        #expect(compression.apply(to: largeJSON, acceptEncoding: "gzip;q=0").headers["content-encoding"] == nil)
        #expect(compression.apply(to: largeJSON, acceptEncoding: "identity").headers["content-encoding"] == nil)
        #expect(compression.apply(to: largeJSON, acceptEncoding: "*").headers["content-encoding"] == "gzip")
        #expect(compression.apply(to: largeJSON, acceptEncoding: "gzip;q=0, *").headers["content-encoding"] == nil)
        let small = HTTPResponse(status: .ok, contentType: "application/json", body: Array("{}".utf8))
        #expect(compression.apply(to: small, acceptEncoding: "gzip").headers["content-encoding"] == nil)
        let image = HTTPResponse(status: .ok, contentType: "image/png", body: largeJSON.body)
        #expect(compression.apply(to: image, acceptEncoding: "gzip").headers["content-encoding"] == nil)
        let noContent = HTTPResponse(status: .noContent)
        #expect(compression.apply(to: noContent, acceptEncoding: "gzip").headers["content-encoding"] == nil)
    }

    func gunzip(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        #expect(inflateInit2_(&stream, 31, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var source = input
        let status = source.withUnsafeMutableBufferPointer { from in
            output.withUnsafeMutableBufferPointer { to in
                stream.next_in = from.baseAddress
                stream.avail_in = UInt32(from.count)
                stream.next_out = to.baseAddress
                stream.avail_out = UInt32(to.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        #expect(status == Z_STREAM_END)
        return Array(output[..<Int(stream.total_out)])
    }
}
