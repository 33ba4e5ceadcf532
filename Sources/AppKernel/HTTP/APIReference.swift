import Foundation

/// The API reference in Markdown (`docs/api.md`), rendered from the same OpenAPI document the
/// server serves at `/openapi.json`, so the two cannot disagree. Deterministic: paths, methods,
/// fields and schemas in a fixed order, so a stale copy in the repository shows as a diff.
public enum APIReference {
    public static func markdown(_ document: JSONValue) -> String {
        var out = Output()
        let info = document["info"]
        out.line("# \(info?["title"]?.text ?? "API") reference")
        out.line()
        out.line("Generated from the endpoint declarations the server runs (`scripts/api-reference` writes this file and")
        out.line("`docs/openapi.json`; a test fails when either is stale). Do not edit by hand.")
        out.line()
        if let description = info?["description"]?.text { out.line(description); out.line() }
        out.line("Security: **driver** is `Authorization: Bearer <token>` (from `POST /v1/drivers` or `POST /v1/auth/token`);")
        out.line("**provider signature** is `Hourglass-Signature: t=<unix>,v1=<hex HMAC-SHA256(\"t.body\")>` with that provider's secret;")
        out.line("**processor signature** is `PSP-Signature` in the same form with the webhook secret.")
        out.line()

        let operations = Self.operations(document)
        let tags = operations.map(\.tag).uniqued()
        out.line("## Contents")
        out.line()
        for tag in tags {
            let list = operations.filter { $0.tag == tag }.map { "[`\($0.method.uppercased()) \($0.path)`](#\(anchor($0)))" }
            out.line("- **\(tag)**: " + list.joined(separator: ", "))
        }
        out.line()
        for tag in tags {
            out.line("## \(tag)")
            out.line()
            for operation in operations where operation.tag == tag { render(operation, into: &out) }
        }

        out.line("## Schemas")
        out.line()
        let schemas = document["components"]?["schemas"]?.members ?? [:]
        for name in schemas.keys.sorted() {
            guard let schema = schemas[name] else { continue }
            out.line("### \(name)")
            out.line()
            if let description = schema["description"]?.text { out.line(description); out.line() }
            if schema["properties"] != nil {
                fieldTable(schema, into: &out)
            } else {
                out.line("`\(typeText(schema))`")
                out.line()
            }
        }
        return out.text
    }

    /// The document as indented JSON with sorted keys (docs/openapi.json: stable, diffable).
    public static func openAPIText(_ document: JSONValue) -> String {
        var out = ""
        func write(_ value: JSONValue, indent: String) {
            switch value {
            case .object(let members) where !members.isEmpty:
                out += "{\n"
                for (index, key) in members.keys.sorted().enumerated() {
                    out += indent + "  " + quoted(key) + ": "
                    write(members[key]!, indent: indent + "  ")
                    out += index == members.count - 1 ? "\n" : ",\n"
                }
                out += indent + "}"
            case .array(let elements) where !elements.isEmpty:
                out += "[\n"
                for (index, element) in elements.enumerated() {
                    out += indent + "  "
                    write(element, indent: indent + "  ")
                    out += index == elements.count - 1 ? "\n" : ",\n"
                }
                out += indent + "]"
            default:
                out += String(decoding: (try? JSON.encode(value)) ?? [], as: UTF8.self)
            }
        }
        write(document, indent: "")
        return out + "\n"
    }

    static func quoted(_ key: String) -> String {
        String(decoding: (try? JSON.encode(JSONValue.string(key))) ?? [], as: UTF8.self)
    }

    struct Operation {
        let path: String
        let method: String
        let value: JSONValue
        var tag: String { value["tags"]?.elements?.first?.text ?? "other" }
        var id: String { value["operationId"]?.text ?? "\(method)-\(path)" }
    }

    static let methodOrder = ["get", "post", "put", "patch", "delete"]

    static func operations(_ document: JSONValue) -> [Operation] {
        let paths = document["paths"]?.members ?? [:]
        return paths.keys.sorted().flatMap { path in
            let methods = paths[path]?.members ?? [:]
            return methods.keys.sorted { (methodOrder.firstIndex(of: $0) ?? 9, $0) < (methodOrder.firstIndex(of: $1) ?? 9, $1) }
                .map { Operation(path: path, method: $0, value: methods[$0]!) }
        }
    }

    static func anchor(_ operation: Operation) -> String { operation.id.lowercased() }

    static func render(_ operation: Operation, into out: inout Output) {
        let value = operation.value
        out.line("<a id=\"\(anchor(operation))\"></a>")
        out.line("### `\(operation.method.uppercased()) \(operation.path)`")
        out.line()
        out.line("\(value["summary"]?.text ?? "") (`\(operation.id)`)")
        out.line()
        out.line("Security: " + securityText(value["security"]))
        out.line()
        let parameters = value["parameters"]?.elements ?? []
        if !parameters.isEmpty {
            out.line("| parameter | in | type | meaning |")
            out.line("|---|---|---|---|")
            for parameter in parameters {
                let required = parameter["required"] == .bool(true) ? " (required)" : ""
                out.line("| `\(parameter["name"]?.text ?? "")` | \(parameter["in"]?.text ?? "")\(required) | \(cell(typeText(parameter["schema"]))) | \(cell(parameter["description"]?.text ?? "")) |")
            }
            out.line()
        }
        if let content = value["requestBody"]?["content"]?.members {
            for mediaType in content.keys.sorted() {
                let schema = content[mediaType]?["schema"]
                out.line("Body (`\(mediaType)`):" + (schema?["$ref"] != nil ? " \(typeText(schema))" : ""))
                out.line()
                if let schema, schema["properties"] != nil { fieldTable(schema, into: &out) }
            }
        }
        out.line("| status | meaning | body |")
        out.line("|---|---|---|")
        let responses = value["responses"]?.members ?? [:]
        for status in responses.keys.sorted() {
            guard let response = responses[status] else { continue }
            let content = response["content"]?.members ?? [:]
            let bodies = content.keys.sorted().map { type -> String in
                if let schema = content[type]?["schema"], schema != .object([:]) { return typeText(schema) }
                return "`\(type)`"
            }
            out.line("| \(status) | \(cell(response["description"]?.text ?? "")) | \(cell(bodies.joined(separator: ", "))) |")
        }
        out.line()
    }

    static func securityText(_ security: JSONValue?) -> String {
        let schemes = (security?.elements ?? []).flatMap { $0.members?.keys.sorted() ?? [] }
        if schemes.isEmpty { return "none (public)" }
        return schemes.map { scheme in
            switch scheme {
            case "bearer": "driver"
            case "providerSignature": "provider signature"
            case "processorSignature": "processor signature"
            default: scheme
            }
        }.joined(separator: " or ")
    }

    /// One row per field, nested objects flattened with dotted names (`next_action.type`).
    static func fieldTable(_ schema: JSONValue, into out: inout Output) {
        out.line("| field | type | required | meaning |")
        out.line("|---|---|---|---|")
        func rows(_ schema: JSONValue, prefix: String) {
            let properties = schema["properties"]?.members ?? [:]
            let required = Set((schema["required"]?.elements ?? []).compactMap(\.text))
            for name in properties.keys.sorted() {
                guard let property = properties[name] else { continue }
                let field = prefix + name
                out.line("| `\(field)` | \(cell(typeText(property))) | \(required.contains(name) ? "yes" : "no") | \(cell(property["description"]?.text ?? "")) |")
                if property["properties"] != nil { rows(property, prefix: field + ".") }
                if let items = property["items"], items["properties"] != nil { rows(items, prefix: field + "[].") }
            }
            if case .object(let values)? = schema["additionalProperties"], !values.isEmpty {
                out.line("| `\(prefix)<key>` | \(cell(typeText(.object(values)))) | no | any key |")
            }
        }
        rows(schema, prefix: "")
        out.line()
    }

    /// A schema in a few words: `string (uuid)`, `integer 500…50000`, `one of: a, b`, `Policy`, `… or null`.
    static func typeText(_ schema: JSONValue?) -> String {
        guard let schema else { return "" }
        if let reference = schema["$ref"]?.text {
            let name = String(reference.split(separator: "/").last ?? "")
            return "[\(name)](#\(name.lowercased()))"
        }
        if let alternatives = schema["anyOf"]?.elements {
            return alternatives.map { typeText($0) }.joined(separator: " or ")
        }
        var nullable = false
        var type = schema["type"]?.text
        if let types = schema["type"]?.elements {
            let names = types.compactMap(\.text)
            nullable = names.contains("null")
            type = names.first { $0 != "null" }
        }
        var text: String
        switch type {
        case "string":
            if let values = schema["enum"]?.elements {
                text = "one of: " + values.compactMap(\.text).map { "`\($0)`" }.joined(separator: ", ")
            } else {
                text = "string"
                var rules: [String] = []
                if let format = schema["format"]?.text { rules.append(format) }
                let minimum = schema["minLength"]?.integerValue, maximum = schema["maxLength"]?.integerValue
                switch (minimum, maximum) {
                case let (minimum?, maximum?): rules.append("\(minimum)–\(maximum) chars")
                case let (nil, maximum?): rules.append("≤ \(maximum) chars")
                case let (minimum?, nil): rules.append("≥ \(minimum) chars")
                default: break
                }
                if let pattern = schema["pattern"]?.text { rules.append(OpenAPI.describe(pattern: pattern) ?? "pattern `\(pattern)`") }
                if !rules.isEmpty { text += " (" + rules.joined(separator: ", ") + ")" }
            }
        case "integer":
            text = "integer"
            switch (schema["minimum"]?.integerValue, schema["maximum"]?.integerValue) {
            case let (minimum?, maximum?) where maximum < 9_007_199_254_740_991: text += " \(minimum)…\(maximum)"
            case let (minimum?, _) where minimum > -9_007_199_254_740_991: text += " ≥ \(minimum)"
            case let (_, maximum?) where maximum < 9_007_199_254_740_991: text += " ≤ \(maximum)"
            default: break
            }
        case "array":
            text = "array of " + typeText(schema["items"])
            if let maximum = schema["maxItems"]?.integerValue { text += " (≤ \(maximum))" }
        case "object":
            if case .object(let values)? = schema["additionalProperties"], !values.isEmpty, (schema["properties"]?.members ?? [:]).isEmpty {
                text = "map of " + typeText(.object(values))
            } else {
                text = "object"
            }
        case let other?:
            text = other
        case nil:
            text = "any JSON"
        }
        return nullable ? text + " or null" : text
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    struct Output {
        var text = ""
        mutating func line(_ line: String = "") { text += line + "\n" }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
    var members: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
    var elements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
    var text: String? {
        if case .string(let text) = self { return text }
        return nil
    }
    var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
