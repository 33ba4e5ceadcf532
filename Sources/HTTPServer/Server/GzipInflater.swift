import CZlib

/// Streaming gunzip (RFC 1952; zlib's inflate with automatic gzip/zlib header detection):
/// compressed bytes in, decompressed bytes out, a bounded buffer at a time, for request bodies
/// and uploaded files that must never be expanded whole in memory. Concatenated gzip members
/// (what `cat a.gz b.gz` makes) are read one after another, as gunzip does.
public final class GzipInflater {
    /// The stream is not gzip (or is corrupt).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private var stream = z_stream()
    private var open = false
    public private(set) var isFinished = false
    private let chunkSize: Int

    public init(chunkSize: Int = 256 * 1024) throws(Failure) {
        self.chunkSize = chunkSize
        // 15 + 32: the largest window, and detect the gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "cannot start gzip decompression")
        }
        open = true
    }

    deinit { if open { inflateEnd(&stream) } }

    /// Decompresses `input`, handing each decompressed chunk to `output` as it is produced.
    /// Call `finish()` after the last input to learn whether the stream ended where it should.
    public func inflate(_ input: UnsafeRawBufferPointer, into output: ([UInt8]) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var remaining = input
        while true {
            if isFinished {
                guard remaining.count > 0 else { return }
                // Another gzip member follows the one that ended.
                guard inflateReset(&stream) == Z_OK else { throw Failure(description: "cannot read the next gzip member") }
                isFinished = false
            }
            let (status, consumed, produced) = buffer.withUnsafeMutableBytes { destination -> (Int32, Int, Int) in
                stream.next_in = remaining.count > 0
                    ? UnsafeMutablePointer(mutating: remaining.baseAddress!.assumingMemoryBound(to: UInt8.self)) : nil
                stream.avail_in = UInt32(remaining.count)
                stream.next_out = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(destination.count)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                return (status, remaining.count - Int(stream.avail_in), destination.count - Int(stream.avail_out))
            }
            if produced > 0 { try output(Array(buffer[0..<produced])) }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[consumed...])
            switch status {
            case Z_STREAM_END: isFinished = true
            case Z_OK: break
            case Z_BUF_ERROR: return   // needs more input: nothing more can be made of this piece
            default: throw Failure(description: "the gzip data is corrupt")
            }
            // All input taken and the output buffer not filled: zlib holds nothing more for now.
            if remaining.count == 0 && produced < chunkSize && !isFinished { return }
        }
    }

    /// Throws when the compressed stream stopped before its end (a truncated file).
    public func finish() throws {
        guard isFinished else { throw Failure(description: "the gzip data ends early (the file is truncated)") }
    }
}
