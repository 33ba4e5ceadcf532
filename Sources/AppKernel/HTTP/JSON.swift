import Foundation
public import HTTPServer

/// The API's JSON conventions in one place: snake_case keys, RFC 3339 UTC instants.
public enum JSON {
    /// The API's JSON for a value (see `JSONWriter`: snake_case, nulls written, lower-case ids,
    /// RFC 3339 instants in whole seconds).
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try JSONWriter.encode(value)
    }

    /// Decodes a request body, turning every failure into a 4xx the client can act on:
    /// 415 for a non-JSON content type, 400 for empty, malformed or mistyped JSON with the field named.
    public static func decode<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws(AppError) -> T {
        if let contentType = request.headers["content-type"]?.lowercased() {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
                throw .unsupportedMediaType("send the body as application/json")
            }
        }
        guard !request.body.isEmpty else { throw .badRequest("a JSON body is required") }
        return try decode(type, from: request.body)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(AppError) -> T {
        if containsEscapedNUL(bytes) {
            throw .badRequest("strings must not contain NUL characters (\\u0000)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 timestamp such as 2026-11-26T16:00:00Z")
            }
            return date
        }
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw badRequest(for: error)
        } catch {
            throw .badRequest("the body is not valid JSON")
        }
    }

    /// True when a JSON string escapes U+0000, which no text column can store. (Raw control
    /// bytes are already invalid JSON; only the `\u0000` escape needs a look.)
    static func containsEscapedNUL(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                if index + 5 < bytes.count, bytes[index + 1] == UInt8(ascii: "u"),
                   bytes[(index + 2)...(index + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                    return true
                }
                index += 2  // skip the escaped character, so `\\u0000` (a backslash, then text) is fine
                continue
            }
            index += 1
        }
        return false
    }

    private static func badRequest(for error: DecodingError) -> AppError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let text = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(snakeCase(key.stringValue))" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .badRequest("a required field is missing",
                               fields: [FieldError(field: path(context.codingPath, key), message: "is required")])
        case .typeMismatch(let expected, let context):
            return .badRequest("a field has the wrong type",
                               fields: [FieldError(field: path(context.codingPath), message: "must be \(describe(expected))")])
        case .valueNotFound(let expected, let context):
            return .badRequest("a required field is null",
                               fields: [FieldError(field: path(context.codingPath), message: "must be \(describe(expected)), not null")])
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .badRequest("the body is not valid JSON") }
            return .badRequest("a field has an invalid value",
                               fields: [FieldError(field: path(context.codingPath), message: context.debugDescription)])
        @unknown default:
            return .badRequest("the body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    /// `validUntil` → `valid_until`, matching the wire names clients see.
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}

extension HTTPResponse {
    /// A JSON response with the API's conventions.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: try JSON.encode(value))
    }
}
