import Foundation
import HTTPServer

/// The OpenAPI 3.1 document, generated from the endpoints the server runs (never a second,
/// hand-kept list): paths, parameters, bodies and every answer with its schema, security per
/// operation, and the named schemas they use as components.
public enum OpenAPI {
    public struct Info: Sendable {
        public let title: String
        public let version: String
        public let description: String
        public init(title: String, version: String, description: String) {
            self.title = title
            self.version = version
            self.description = description
        }
    }

    public static func document(_ info: Info, endpoints: [Endpoint]) -> JSONValue {
        var components: [String: JSONValue] = [:]
        var paths: [String: [String: JSONValue]] = [:]
        for endpoint in endpoints {
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation(endpoint, components: &components)
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object(["title": .string(info.title), "version": .string(info.version), "description": .string(info.description)]),
            "servers": .array([.object(["url": .string("/"), "description": .string("this server")])]),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": .object([
                "schemas": .object(components),
                "securitySchemes": .object([
                    "bearer": .object(["type": .string("http"), "scheme": .string("bearer"),
                                       "description": .string("a driver's token from POST /v1/drivers or POST /v1/auth/token")]),
                    "providerSignature": .object(["type": .string("apiKey"), "in": .string("header"), "name": .string("Hourglass-Signature"),
                                                  "description": .string("t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\"> with the provider's secret")]),
                    "processorSignature": .object(["type": .string("apiKey"), "in": .string("header"), "name": .string("PSP-Signature"),
                                                   "description": .string("t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\"> with the webhook secret")]),
                ]),
            ]),
        ])
    }

    static func operation(_ endpoint: Endpoint, components: inout [String: JSONValue]) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(endpoint.operationID),
            "summary": .string(endpoint.summary),
            "tags": .array([.string(endpoint.tag)]),
        ]
        let security: JSONValue = switch endpoint.access {
        case .anyone: .array([])
        case .driver: .array([.object(["bearer": .array([])])])
        case .workProvider: .array([.object(["providerSignature": .array([])])])
        case .cardProcessor: .array([.object(["processorSignature": .array([])])])
        case .staff: .array([.object(["staffSession": .array([])])])  // admin pages are not in the document
        }
        operation["security"] = security
        var parameters: [JSONValue] = endpoint.pathParameters.map { name in
            .object(["name": .string(name), "in": .string("path"), "required": .bool(true),
                     "schema": render(endpoint.pathSchema(name), components: &components, input: true)])
        }
        for query in endpoint.query {
            var schema = render(query.schema, components: &components, input: true)
            if query.repeatable { schema = .object(["type": .string("array"), "items": schema]) }
            var parameter: [String: JSONValue] = ["name": .string(query.name), "in": .string("query"), "required": .bool(false),
                                                  "description": .string(query.description), "schema": schema]
            if query.repeatable { parameter["explode"] = .bool(true); parameter["style"] = .string("form") }
            parameters.append(.object(parameter))
        }
        if endpoint.idempotent {
            parameters.append(.object([
                "name": .string("Idempotency-Key"), "in": .string("header"), "required": .bool(false),
                "description": .string("same key and same body: the first response again; same key, other body: 422; still running: 409"),
                "schema": .object(["type": .string("string"), "minLength": .integer(1), "maxLength": .integer(255),
                                   "pattern": .string("^[\\x21-\\x7E]+$")]),
            ]))
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        switch endpoint.body {
        case .json(let schema)?:
            operation["requestBody"] = .object(["required": .bool(true), "content": .object([
                "application/json": .object(["schema": render(schema, components: &components, input: true)])])])
        case .bytes(let types)?:
            var content: [String: JSONValue] = [:]
            for type in types {
                content[type] = type == "multipart/form-data"
                    ? .object(["schema": .object(["type": .string("object"), "properties": .object([
                        "file": .object(["type": .string("string"), "contentMediaType": .string("application/octet-stream")])]),
                        "required": .array([.string("file")])])])
                    : .object(["schema": .object(["type": .string("string"), "contentMediaType": .string(type), "minLength": .integer(1)])])
            }
            operation["requestBody"] = .object(["required": .bool(true), "content": .object(content)])
        case .form(let schema)?:
            operation["requestBody"] = .object(["required": .bool(true), "content": .object([
                "application/x-www-form-urlencoded": .object(["schema": render(schema, components: &components, input: true)])])])
        case nil:
            break
        }
        var responses: [String: JSONValue] = [:]
        for response in endpoint.allResponses {
            var object: [String: JSONValue] = ["description": .string(response.description)]
            switch response.content {
            case .json(let schema):
                let mediaType = response.status >= 400 ? "application/problem+json" : "application/json"
                object["content"] = .object([mediaType: .object(["schema": render(schema, components: &components)])])
            case .media(let types):
                object["content"] = .object(Dictionary(uniqueKeysWithValues: types.map { ($0, JSONValue.object([:])) }))
            case .empty:
                break
            }
            responses[String(response.status)] = .object(object)
        }
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    /// Characters no request text may hold (Unicode category Cc), and the whitespace trimmed
    /// from text fields (Swift's whitespacesAndNewlines: Z*, tab to carriage return, U+0085),
    /// as regex classes, so the document states the rules `SchemaCheck` applies to input.
    static let control = "\\u0000-\\u001F\\u007F-\\u009F"
    static let controlButBreaks = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"
    static let space = "\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"

    /// A trimmed field's pattern applies after surrounding space is dropped: the document says
    /// that space may be there.
    static func surroundedBySpace(_ pattern: String) -> String {
        var inner = Substring(pattern)
        if inner.hasPrefix("^") { inner = inner.dropFirst() }
        if inner.hasSuffix("$") { inner = inner.dropLast() }
        return "^[\(space)]*(?:\(inner))[\(space)]*$"
    }

    /// The rules of free text: no control characters (but line breaks and tabs where it is
    /// multiline); trimmed text may have space around it and needs a visible character.
    static func textPattern(_ rules: Schema.StringRules) -> String {
        let inner = "[^\(rules.multiline ? controlButBreaks : control)]"
        guard rules.trimmed else { return "^\(inner)*$" }
        let visible = "[^\(control)\(space)]"
        let body = "\(visible)(?:\(inner)*\(visible))?"
        return (rules.minLength ?? 0) > 0 ? "^[\(space)]*\(body)[\(space)]*$" : "^[\(space)]*(?:\(body))?[\(space)]*$"
    }

    /// The generated text patterns in words, for the Markdown reference; nil for a field's own.
    static func describe(pattern: String) -> String? {
        for multiline in [false, true] {
            for trimmed in [false, true] {
                let rules = Schema.StringRules(minLength: trimmed ? 1 : nil, trimmed: trimmed, multiline: multiline)
                guard textPattern(rules) == pattern else { continue }
                return (multiline ? "line breaks and tabs allowed, no other control characters" : "no control characters")
                    + (trimmed ? ", not blank, surrounding space ignored" : "")
            }
        }
        let prefix = "^[\(space)]*(?:", suffix = ")[\(space)]*$"
        if pattern.hasPrefix(prefix), pattern.hasSuffix(suffix) {
            return "pattern `^\(pattern.dropFirst(prefix.count).dropLast(suffix.count))$`, surrounding space ignored"
        }
        return nil
    }

    /// A schema as JSON Schema 2020-12; named ones go to `components` and are referenced.
    /// `input`: a request's schema, whose free text also states the control-character and
    /// trimming rules (responses are what we wrote, so their text needs no such pattern).
    static func render(_ schema: Schema, components: inout [String: JSONValue], input: Bool = false) -> JSONValue {
        switch schema {
        case .component(let component):
            if components[component.name] == nil {
                components[component.name] = .object([:])  // placeholder: a schema may refer to itself
                var rendered = render(component.schema, components: &components)
                if let description = component.description, case .object(var members) = rendered {
                    members["description"] = .string(description)
                    rendered = .object(members)
                }
                components[component.name] = rendered
            }
            return .object(["$ref": .string("#/components/schemas/\(component.name)")])
        case .nullable(let inner):
            let rendered = render(inner, components: &components, input: input)
            guard case .object(var members) = rendered, case .string(let type)? = members["type"] else {
                return .object(["anyOf": .array([rendered, .object(["type": .string("null")])])])
            }
            members["type"] = .array([.string(type), .string("null")])
            if case .array(let values)? = members["enum"] { members["enum"] = .array(values + [.null]) }
            return .object(members)
        case .anyValue:
            return .object([:])
        case .boolean:
            return .object(["type": .string("boolean")])
        case .number:
            return .object(["type": .string("number")])
        case .integer(let minimum, let maximum):
            var members: [String: JSONValue] = ["type": .string("integer"), "format": .string("int64")]
            if let minimum { members["minimum"] = .integer(minimum) }
            if let maximum { members["maximum"] = .integer(maximum) }
            return .object(members)
        case .string(let rules):
            var members: [String: JSONValue] = ["type": .string("string")]
            if let minimum = rules.minLength { members["minLength"] = .integer(Int64(minimum)) }
            if let maximum = rules.maxLength { members["maxLength"] = .integer(Int64(maximum)) }
            if let pattern = rules.pattern {
                members["pattern"] = .string(input && rules.trimmed ? surroundedBySpace(pattern) : pattern)
            } else if input, rules.values == nil, rules.format == nil {
                members["pattern"] = .string(textPattern(rules))
            }
            if let format = rules.format { members["format"] = .string(format.rawValue) }
            if let values = rules.values { members["enum"] = .array(values.map(JSONValue.string)) }
            return .object(members)
        case .array(let items, let maxItems):
            var members: [String: JSONValue] = ["type": .string("array"), "items": render(items, components: &components, input: input)]
            if let maxItems { members["maxItems"] = .integer(Int64(maxItems)) }
            return .object(members)
        case .object(let object):
            var properties: [String: JSONValue] = [:]
            for property in object.properties {
                var rendered = render(property.schema, components: &components, input: input)
                if let description = property.description, case .object(var members) = rendered, members["$ref"] == nil {
                    members["description"] = .string(description)
                    rendered = .object(members)
                }
                properties[property.name] = rendered
            }
            var members: [String: JSONValue] = ["type": .string("object"), "properties": .object(properties)]
            let required = object.properties.filter(\.required).map { JSONValue.string($0.name) }
            if !required.isEmpty { members["required"] = .array(required) }
            if let values = object.values {
                members["additionalProperties"] = render(values, components: &components, input: input)
            } else {
                members["additionalProperties"] = .bool(object.additionalProperties)
            }
            return .object(members)
        }
    }
}

extension Endpoint {
    /// A path parameter's schema: a UUID for ids, unless the endpoint says otherwise.
    func pathSchema(_ name: String) -> Schema {
        pathSchemas[name] ?? (name == "id" || name.hasSuffix("_id") ? .uuid : .string(.init(minLength: 1)))
    }
}
