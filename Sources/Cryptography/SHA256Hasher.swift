import COpenSSL

/// SHA-256 over data that arrives in pieces (a file streamed through an import), so it is
/// never held whole in memory. Not thread-safe: one owner feeds it, then calls `finish` once.
public final class SHA256Hasher {
    private var context = SHA256_CTX()
    private var finished = false

    public init() { SHA256_Init(&context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256Hasher.update after finish")
        guard bytes.count > 0 else { return }
        SHA256_Update(&context, bytes.baseAddress, bytes.count)
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest (32 bytes). The hasher cannot be used afterwards.
    public func finish() -> [UInt8] {
        precondition(!finished, "SHA256Hasher.finish called twice")
        finished = true
        var output = [UInt8](repeating: 0, count: 32)
        SHA256_Final(&output, &context)
        return output
    }
}
