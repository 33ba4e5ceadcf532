/// Writes a response head and body into a connection's output buffer.
enum ResponseSerializer {
    /// Header fields only the server sets: a handler's values would break framing.
    private static let reserved: Set<String> = ["content-length", "transfer-encoding", "connection", "date"]

    static func serialize(_ response: HTTPResponse, isHead: Bool, keepAlive: Bool, version: HTTPVersion,
                          date: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + 160 + response.body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status.code, to: &out)
        out.append(0x20)
        out.append(contentsOf: response.status.reasonPhrase.utf8)
        out.append(contentsOf: "\r\ndate: ".utf8)
        out.append(contentsOf: date)
        out.append(contentsOf: "\r\n".utf8)
        for field in response.headers.fields where !reserved.contains(field.name) {
            appendField(name: field.name, value: field.value, to: &out)
        }
        if response.status.allowsBody {
            out.append(contentsOf: "content-length: ".utf8)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !keepAlive {
            out.append(contentsOf: "connection: close\r\n".utf8)
        } else if version == .http1_0 {
            out.append(contentsOf: "connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        // RFC 9110 §9.3.2: HEAD gets GET's header fields but never a body.
        if response.status.allowsBody && !isHead { out.append(contentsOf: response.body) }
    }

    /// Appends `name: value\r\n`, dropping CR, LF and NUL from the value so that no handler can
    /// split a response (header injection).
    private static func appendField(name: String, value: String, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: ": ".utf8)
        for byte in value.utf8 where byte != 0x0D && byte != 0x0A && byte != 0 { out.append(byte) }
        out.append(contentsOf: "\r\n".utf8)
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = 0x30 + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    /// A minimal problem+json response for errors raised below the application (parse errors,
    /// timeouts, overload), where no responder is involved.
    static func problem(_ status: HTTPStatus, detail: String) -> HTTPResponse {
        let escaped = detail.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\"": "\\\""
            case "\\": "\\\\"
            default: scalar.value < 0x20 ? " " : String(scalar)
            }
        }.joined()
        let body = "{\"type\":\"about:blank\",\"title\":\"\(status.reasonPhrase)\",\"status\":\(status.code),\"detail\":\"\(escaped)\"}"
        return HTTPResponse(status: status, contentType: "application/problem+json", body: body.utf8)
    }
}
