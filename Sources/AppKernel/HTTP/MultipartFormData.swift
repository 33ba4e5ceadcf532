import Foundation

/// A `multipart/form-data` body (RFC 7578, on RFC 2046 §5.1's multipart syntax), parsed whole
/// from bytes already read: what an HTML form with `enctype="multipart/form-data"` and mobile
/// SDKs send for a file upload. Bounded: at most `limits.maxParts` parts, each head at most
/// `limits.maxHeadBytes`, each value of a plain field at most `limits.maxFieldBytes`; the body
/// as a whole is bounded by the route's body limit before it gets here. Strict: a body that
/// does not end with the closing delimiter, a part without a `form-data` disposition and a
/// name, or a boundary that is not RFC 2046's shape is refused (400), never guessed at.
public struct MultipartFormData: Sendable {
    /// One part: a plain field (no `filename`) or a file.
    public struct Part: Sendable, Equatable {
        /// The form field's name (`Content-Disposition: form-data; name="…"`).
        public let name: String
        /// The file's name as the client gave it, without any directory (RFC 7578 §4.2: only
        /// the last path component is meaningful); nil for a plain field.
        public let filename: String?
        /// The part's `Content-Type`, lower case without parameters; RFC 7578 §4.4's default
        /// `text/plain` when absent.
        public let contentType: String
        public let body: [UInt8]

        public init(name: String, filename: String?, contentType: String, body: [UInt8]) {
            self.name = name
            self.filename = filename
            self.contentType = contentType
            self.body = body
        }

        /// The body as UTF-8 text (a plain field's value).
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// What a body may hold.
    public struct Limits: Sendable, Equatable {
        public var maxParts: Int
        public var maxHeadBytes: Int
        /// A plain field's value (a file part is bounded by the body limit alone).
        public var maxFieldBytes: Int

        public init(maxParts: Int = 16, maxHeadBytes: Int = 8 * 1024, maxFieldBytes: Int = 64 * 1024) {
            self.maxParts = maxParts
            self.maxHeadBytes = maxHeadBytes
            self.maxFieldBytes = maxFieldBytes
        }
    }

    /// Every part, in the order sent.
    public let parts: [Part]

    /// Parses `body` sent with `contentType` (the request's `Content-Type` header).
    public init(contentType: String, body: [UInt8], limits: Limits = Limits()) throws(AppError) {
        guard let boundary = Self.boundary(contentType) else {
            throw .badRequest("send the form as multipart/form-data with a boundary (RFC 7578)")
        }
        parts = try Self.parse(body, boundary: Array(boundary.utf8), limits: limits)
    }

    /// The plain fields, in order (what a URL-encoded form would have carried).
    public var fields: [(name: String, value: String)] {
        parts.filter { $0.filename == nil }.map { ($0.name, $0.text) }
    }

    /// The file parts, in order.
    public var files: [Part] { parts.filter { $0.filename != nil } }

    /// Whether `contentType` is `multipart/form-data` (any parameters).
    public static func isMultipart(_ contentType: String?) -> Bool {
        mediaType(contentType ?? "") == "multipart/form-data"
    }

    /// `multipart/form-data; boundary=x` → `multipart/form-data`.
    static func mediaType(_ contentType: String) -> String {
        (contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// RFC 2046 §5.1.1: 1 to 70 characters of `bcharsnospace` and space, not ending in a space,
    /// possibly quoted.
    static func boundary(_ contentType: String) -> String? {
        guard mediaType(contentType) == "multipart/form-data" else { return nil }
        guard let value = parameters(of: contentType)["boundary"], (1...70).contains(value.count), value.last != " " else { return nil }
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ")
        return value.allSatisfy(allowed.contains) ? value : nil
    }

    /// A header's `; name=value` parameters (names lower-cased; quoted strings unquoted with
    /// their backslash escapes, RFC 9110 §5.6.4).
    static func parameters(of header: String) -> [String: String] {
        var result: [String: String] = [:]
        var characters = Substring(header)
        guard let firstSemicolon = characters.firstIndex(of: ";") else { return result }
        characters = characters[characters.index(after: firstSemicolon)...]
        while !characters.isEmpty {
            characters = characters.drop { $0 == " " || $0 == "\t" || $0 == ";" }
            guard let equals = characters.firstIndex(of: "=") else { break }
            let name = characters[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            characters = characters[characters.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            var value = ""
            if characters.first == "\"" {
                characters = characters.dropFirst()
                var escaped = false
                while let character = characters.first {
                    characters = characters.dropFirst()
                    if escaped { value.append(character); escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { break } else { value.append(character) }
                }
                characters = characters.drop { $0 != ";" }
            } else {
                let end = characters.firstIndex(of: ";") ?? characters.endIndex
                value = characters[..<end].trimmingCharacters(in: .whitespaces)
                characters = characters[end...]
            }
            if !name.isEmpty, result[name] == nil { result[name] = value }
        }
        return result
    }

    /// The parts between the delimiters (RFC 2046 §5.1.1), the preamble and epilogue ignored.
    static func parse(_ body: [UInt8], boundary: [UInt8], limits: Limits) throws(AppError) -> [Part] {
        let dashes: [UInt8] = [45, 45]
        let crlf: [UInt8] = [13, 10]
        let first = dashes + boundary
        let delimiter = crlf + dashes + boundary
        // The first delimiter opens the body or follows a preamble (RFC 2046: ignored) and CRLF.
        var position: Int
        if body.starts(with: first) {
            position = first.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw .badRequest("the multipart body has no part delimited by its boundary")
        }
        var parts: [Part] = []
        while true {
            // After a delimiter: `--` closes the body; otherwise optional whitespace, CRLF, a part.
            if body[position...].starts(with: dashes) { return parts }
            while position < body.count, body[position] == 32 || body[position] == 9 { position += 1 }
            guard body[position...].starts(with: crlf) else { throw .badRequest("the multipart body is malformed after a boundary") }
            position += 2
            guard parts.count < limits.maxParts else { throw .badRequest("the form has more than \(limits.maxParts) parts") }
            let headEnd: Int
            if body[position...].starts(with: crlf) {
                headEnd = position  // a part with no header fields at all
            } else {
                guard let found = find(crlf + crlf, in: body, from: position, within: limits.maxHeadBytes + 4) else {
                    throw .badRequest("a part's header fields are missing their end or exceed \(limits.maxHeadBytes) bytes")
                }
                headEnd = found + 2
            }
            let head = String(decoding: body[position..<headEnd], as: UTF8.self)
            let contentStart = headEnd + 2
            guard let contentEnd = find(delimiter, in: body, from: contentStart) else {
                throw .badRequest("the multipart body ends before its closing boundary")
            }
            parts.append(try part(head: head, body: Array(body[contentStart..<contentEnd]), limits: limits))
            position = contentEnd + delimiter.count
            guard position < body.count else { throw .badRequest("the multipart body ends before its closing boundary") }
        }
    }

    /// One part from its header fields and content.
    static func part(head: String, body: [UInt8], limits: Limits) throws(AppError) -> Part {
        var disposition: String?
        var contentType = "text/plain"
        for line in head.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw .badRequest("a part's header line has no colon") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-disposition": disposition = value
            case "content-type": contentType = mediaType(value)
            default: break  // RFC 7578 §4.8: other header fields are ignored
            }
        }
        guard let disposition, mediaType(disposition) == "form-data" else {
            throw .badRequest("every part needs Content-Disposition: form-data (RFC 7578 §4.2)")
        }
        let parameters = parameters(of: disposition)
        guard let name = parameters["name"], !name.isEmpty else { throw .badRequest("a part has no field name") }
        let filename = parameters["filename"].map(Self.lastPathComponent)
        if filename == nil, body.count > limits.maxFieldBytes {
            throw .badRequest("the field \(name) is longer than \(limits.maxFieldBytes) bytes")
        }
        return Part(name: name, filename: filename, contentType: contentType.isEmpty ? "text/plain" : contentType, body: body)
    }

    /// `C:\reports\payout.csv` → `payout.csv` (old browsers sent the whole path).
    static func lastPathComponent(_ name: String) -> String {
        String(name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
    }

    /// The first index of `needle` in `haystack` at or after `start` (and, with `within`,
    /// starting no further than that many bytes on).
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, within: Int? = nil) -> Int? {
        guard !needle.isEmpty, start >= 0 else { return nil }
        let last = haystack.count - needle.count
        let bound = within.map { min(last, start + $0 - needle.count) } ?? last
        guard start <= bound else { return nil }
        let first = needle[0]
        return haystack.withUnsafeBufferPointer { bytes -> Int? in
            var index = start
            while index <= bound {
                if bytes[index] == first {
                    var matched = true
                    for offset in 1..<needle.count where bytes[index + offset] != needle[offset] {
                        matched = false
                        break
                    }
                    if matched { return index }
                }
                index += 1
            }
            return nil
        }
    }
}
