import Foundation

extension Schema {
    /// Checks a request value, collecting every problem (field paths as clients write them:
    /// `third_parties[0].name`), and returns the value as the handler should see it: text
    /// trimmed where the rules say so, integral numbers as integers.
    public func validateInput(_ value: JSONValue, at path: String = "", errors: inout [FieldError]) -> JSONValue {
        SchemaCheck(mode: .input).check(value, against: self, at: path, errors: &errors)
    }

    /// Checks a response value against what the API says it is: every declared field present
    /// (`null` only where nullable), nothing undeclared, every type and constraint. Returns
    /// the problems (empty when it conforms).
    public func conformance(of value: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        _ = SchemaCheck(mode: .output).check(value, against: self, at: "", errors: &errors)
        return errors
    }
}

/// The walk behind both checks.
struct SchemaCheck {
    enum Mode { case input, output }
    let mode: Mode

    func check(_ value: JSONValue, against schema: Schema, at path: String, errors: inout [FieldError]) -> JSONValue {
        func fail(_ message: String) -> JSONValue {
            errors.append(FieldError(field: path.isEmpty ? "body" : path, message: message))
            return value
        }
        switch schema {
        case .anyValue:
            return value
        case .component(let component):
            return check(value, against: component.schema, at: path, errors: &errors)
        case .nullable(let inner):
            if case .null = value { return .null }
            return check(value, against: inner, at: path, errors: &errors)
        case .boolean:
            guard case .bool = value else { return fail(Self.expectation(of: schema)) }
            return value
        case .number:
            switch value {
            case .integer, .number: return value
            default: return fail("must be a number")
            }
        case .integer(let minimum, let maximum):
            let integer: Int64
            switch value {
            case .integer(let number): integer = number
            case .number(let number) where number == number.rounded() && abs(number) < 9.2e18: integer = Int64(number)
            case .number: return fail("must be a whole number")
            case .null: return fail("must not be null")
            default: return fail("must be an integer")
            }
            if let minimum, let maximum, !(minimum...maximum).contains(integer) {
                return fail(maximum == 9_007_199_254_740_991 ? "must be at least \(minimum)" : "must be between \(minimum) and \(maximum)")
            }
            if let minimum, integer < minimum { return fail("must be at least \(minimum)") }
            if let maximum, integer > maximum { return fail("must be at most \(maximum)") }
            return .integer(integer)
        case .string(let rules):
            guard case .string(var text) = value else {
                return fail(value == .null ? "must not be null" : Self.expectation(of: schema))
            }
            if mode == .input, rules.trimmed {
                // The length limit applies to what was sent (as the document's maxLength says);
                // then surrounding space, tabs and line breaks (a pasted or autofilled value's
                // trailing newline) are dropped, and the control check applies to what is left.
                if let maximum = rules.maxLength, text.unicodeScalars.count > maximum { return fail("must be at most \(maximum) characters") }
                text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let message = Self.problem(with: text, rules: rules, input: mode == .input) { return fail(message) }
            return .string(text)
        case .array(let items, let maxItems):
            guard case .array(let elements) = value else { return fail(value == .null ? "must not be null" : "must be an array") }
            if let maxItems, elements.count > maxItems { return fail("must have at most \(maxItems) items") }
            return .array(elements.enumerated().map { index, element in
                check(element, against: items, at: "\(path)[\(index)]", errors: &errors)
            })
        case .object(let object):
            guard case .object(let members) = value else { return fail(value == .null ? "must not be null" : "must be an object") }
            var result: [String: JSONValue] = [:]
            func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
            for property in object.properties {
                guard let member = members[property.name] else {
                    if property.required { errors.append(FieldError(field: child(property.name), message: "is required")) }
                    continue
                }
                if mode == .input, case .null = member, !property.required, !property.schema.isNullable {
                    // An optional field sent as null means "not given" only where the schema says null is allowed.
                    errors.append(FieldError(field: child(property.name), message: "must not be null; leave it out instead"))
                    continue
                }
                result[property.name] = check(member, against: property.schema, at: child(property.name), errors: &errors)
            }
            let declared = Set(object.properties.map(\.name))
            for (name, member) in members where !declared.contains(name) {
                if let values = object.values {
                    result[name] = check(member, against: values, at: child(name), errors: &errors)
                } else if object.additionalProperties {
                    result[name] = member
                } else {
                    errors.append(FieldError(field: child(name), message: mode == .input ? "is not a field of this request" : "is not declared"))
                }
            }
            return .object(result)
        }
    }

    static func expectation(of schema: Schema) -> String {
        switch schema {
        case .string(let rules) where rules.format == .uuid: "must be a UUID string"
        case .string: "must be a string"
        case .boolean: "must be true or false"
        case .integer: "must be an integer"
        default: "has the wrong type"
        }
    }

    /// Unicode category Cc (U+0000–U+001F, U+007F–U+009F): never accepted in request text.
    /// Line breaks and tabs are allowed where the rules say the text is multiline.
    static func isRefused(_ scalar: Unicode.Scalar, _ rules: Schema.StringRules) -> Bool {
        scalar.properties.generalCategory == .control && !(rules.multiline && ["\n", "\r", "\t"].contains(scalar))
    }

    static func controlMessage(_ rules: Schema.StringRules) -> String {
        rules.multiline ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters"
    }

    /// What is wrong with `text` under `rules`, in words a client can act on; nil when fine.
    static func problem(with text: String, rules: Schema.StringRules, input: Bool) -> String? {
        let length = text.unicodeScalars.count
        if let minimum = rules.minLength, length < minimum { return minimum == 1 ? "must not be empty" : "must be at least \(minimum) characters" }
        if let maximum = rules.maxLength, length > maximum { return "must be at most \(maximum) characters" }
        if input, text.unicodeScalars.contains(where: { isRefused($0, rules) }) {
            return controlMessage(rules)
        }
        if let values = rules.values, !values.contains(text) { return "must be one of \(values.joined(separator: ", "))" }
        switch rules.format {
        case .uuid?: if UUID(uuidString: text) == nil { return "must be a UUID" }
        case .date?: if LocalDate(text) == nil { return "must be a date as YYYY-MM-DD" }
        case .dateTime?: if RFC3339.parse(text) == nil { return "must be an RFC 3339 instant such as 2026-11-26T16:00:00Z" }
        case .email?: if !text.contains("@") || text.hasPrefix("@") || text.hasSuffix("@") { return "must be an email address" }
        case .uri?: if URL(string: text)?.scheme == nil { return "must be a URL" }
        case nil: break
        }
        if let pattern = rules.pattern, text.range(of: pattern, options: .regularExpression) == nil {
            return rules.mismatch ?? "is not in the expected format"
        }
        return nil
    }
}

extension Schema {
    var isNullable: Bool {
        switch self {
        case .nullable, .anyValue: true
        case .component(let component): component.schema.isNullable
        default: false
        }
    }
}
