import COpenSSL

/// AES-256-GCM (NIST SP 800-38D) for secrets we must read back, such as staff TOTP seeds:
/// `nonce (12) ‖ ciphertext ‖ tag (16)`, a fresh random nonce per seal. Opening fails (nil)
/// on any change to the box or a wrong key, never returns altered plaintext.
public struct SealedBox: Sendable {
    public static let keyLength = 32
    private static let nonceLength = 12
    private static let tagLength = 16
    private let key: [UInt8]

    /// `key` must be 32 bytes (a programmer or configuration error otherwise).
    public init(key: [UInt8]) {
        precondition(key.count == Self.keyLength, "AES-256-GCM needs a 32-byte key")
        self.key = key
    }

    public func seal(_ plaintext: [UInt8]) -> [UInt8] {
        let nonce = Digest.randomBytes(Self.nonceLength)
        guard let context = EVP_CIPHER_CTX_new() else { preconditionFailure("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0, finalLength: Int32 = 0
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        let ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_EncryptUpdate(context, &output, &written, plaintext, Int32(plaintext.count)) == 1
            && output.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context, $0.baseAddress! + Int(written), &finalLength) } == 1
            && hg_gcm_get_tag(context, &tag) == 1
        precondition(ok, "AES-256-GCM encryption failed")
        return nonce + output.prefix(Int(written + finalLength)) + tag
    }

    public func open(_ box: [UInt8]) -> [UInt8]? {
        guard box.count >= Self.nonceLength + Self.tagLength else { return nil }
        let nonce = Array(box.prefix(Self.nonceLength))
        let ciphertext = Array(box.dropFirst(Self.nonceLength).dropLast(Self.tagLength))
        var tag = Array(box.suffix(Self.tagLength))
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written: Int32 = 0, finalLength: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
              EVP_DecryptUpdate(context, &output, &written, ciphertext, Int32(ciphertext.count)) == 1,
              hg_gcm_set_tag(context, &tag) == 1,
              output.withUnsafeMutableBufferPointer({ EVP_DecryptFinal_ex(context, $0.baseAddress! + Int(written), &finalLength) }) == 1
        else { return nil }
        return Array(output.prefix(Int(written + finalLength)))
    }
}
