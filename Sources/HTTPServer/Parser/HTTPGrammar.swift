/// Character classes of RFC 9110 §5.6, as 256-entry lookup tables.
enum HTTPGrammar {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// tchar: the characters of a token (method, field name, coding, extension name).
    static let isTokenChar: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// field-vchar, SP and HTAB: what a field value may contain (obs-text included, controls not).
    static let isFieldValueChar: [Bool] = (0..<256).map { value in
        value == 0x09 || value == 0x20 || (value >= 0x21 && value <= 0x7E) || value >= 0x80
    }

    /// Visible ASCII: what a request-target may contain.
    static func isTargetChar(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    static func isToken(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { isTokenChar[Int($0)] }
    }

    static func asciiLowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { out in
            for (index, byte) in bytes.enumerated() {
                out[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            }
            return bytes.count
        }
    }

    /// Validates `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1).
    static func isValidChunkExtensions(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        func skipWhitespace() { while index < bytes.count, bytes[index] == space || bytes[index] == tab { index += 1 } }
        func token() -> Bool {
            let start = index
            while index < bytes.count, isTokenChar[Int(bytes[index])] { index += 1 }
            return index > start
        }
        func quotedString() -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return false }
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return true }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count, isFieldValueChar[Int(bytes[index])] else { return false }
                } else if !(byte == tab || byte == space || byte == 0x21 || (byte >= 0x23 && byte <= 0x7E && byte != 0x5C) || byte >= 0x80) {
                    return false
                }
                index += 1
            }
            return false
        }
        while true {
            // Whitespace is allowed only before ";" (BWS), never trailing the line.
            let beforeWhitespace = index
            skipWhitespace()
            if index == bytes.count { return beforeWhitespace == index }
            guard bytes[index] == UInt8(ascii: ";") else { return false }
            index += 1
            skipWhitespace()
            guard token() else { return false }
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                skipWhitespace()
                guard token() || quotedString() else { return false }
            }
        }
    }
}
