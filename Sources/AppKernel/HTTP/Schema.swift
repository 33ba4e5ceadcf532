public import Foundation

/// The shape of a JSON value, declared once per request body and response object and used
/// three ways: to validate what a client sends (every invalid field reported at once, by name),
/// to check in tests that what we send is what we say, and to write the OpenAPI document.
/// A subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it).
public indirect enum Schema: Sendable {
    case string(StringRules)
    case integer(minimum: Int64?, maximum: Int64?)
    case number
    case boolean
    case array(Schema, maxItems: Int?)
    case object(ObjectSchema)
    /// The value may also be `null`.
    case nullable(Schema)
    /// A named schema (`#/components/schemas/<name>`).
    case component(SchemaComponent)
    /// Anything (free-form JSON).
    case anyValue

    public struct StringRules: Sendable {
        public enum Format: String, Sendable { case uuid, date, dateTime = "date-time", email, uri }
        public var minLength: Int?
        /// Counted in Unicode scalars, as PostgreSQL's `char_length` counts them.
        public var maxLength: Int?
        public var pattern: String?
        public var format: Format?
        public var values: [String]?
        /// Surrounding whitespace is removed before the rules apply (and in what the handler gets).
        public var trimmed: Bool
        /// Line breaks and tabs are allowed (a claim's account of what happened); every other
        /// control character is refused, as in all request text.
        public var multiline: Bool
        /// What to tell a client whose text does not match `pattern` ("must be a UK postcode").
        public var mismatch: String?

        public init(minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil, format: Format? = nil,
                    values: [String]? = nil, trimmed: Bool = false, multiline: Bool = false, mismatch: String? = nil) {
            self.minLength = minLength
            self.maxLength = maxLength
            self.pattern = pattern
            self.format = format
            self.values = values
            self.trimmed = trimmed
            self.multiline = multiline
            self.mismatch = mismatch
        }
    }

    public struct ObjectSchema: Sendable {
        public var properties: [Property]
        /// Request bodies refuse fields they do not know (a typo is an error, not ignored);
        /// response objects list every field they carry.
        public var additionalProperties: Bool
        /// For free-form maps (`{"key": value}`): the schema of every value.
        public var values: Schema?
    }

    public struct Property: Sendable {
        public let name: String
        public let schema: Schema
        public let required: Bool
        public let description: String?
    }

    // MARK: - Building

    /// Text: trimmed, at least one character, at most `maxLength`.
    public static func text(maxLength: Int, pattern: String? = nil, mismatch: String? = nil) -> Schema {
        .string(StringRules(minLength: 1, maxLength: maxLength, pattern: pattern, trimmed: true, mismatch: mismatch))
    }
    /// Free text over several lines (tabs and line breaks kept), trimmed, at most `maxLength`.
    public static func paragraphs(maxLength: Int) -> Schema {
        .string(StringRules(minLength: 1, maxLength: maxLength, trimmed: true, multiline: true))
    }
    public static let string = Schema.string(StringRules())
    public static let uuid = Schema.string(StringRules(format: .uuid))
    public static let dateTime = Schema.string(StringRules(format: .dateTime))
    public static let date = Schema.string(StringRules(format: .date))
    public static func oneOf(_ values: [String]) -> Schema { .string(StringRules(values: values)) }
    public static func oneOf<T: CaseIterable & RawRepresentable<String>>(_ type: T.Type) -> Schema { oneOf(T.allCases.map(\.rawValue)) }
    public static func integer(_ range: ClosedRange<Int64>) -> Schema { .integer(minimum: range.lowerBound, maximum: range.upperBound) }
    /// Any JSON integer JavaScript can hold exactly.
    public static let anyInteger = Schema.integer(minimum: -9_007_199_254_740_991, maximum: 9_007_199_254_740_991)
    public static func array(of items: Schema, maxItems: Int? = nil) -> Schema { .array(items, maxItems: maxItems) }
    public static func object(_ properties: Property..., additionalProperties: Bool = false) -> Schema {
        .object(ObjectSchema(properties: properties, additionalProperties: additionalProperties, values: nil))
    }
    public static func object(_ properties: [Property], additionalProperties: Bool = false) -> Schema {
        .object(ObjectSchema(properties: properties, additionalProperties: additionalProperties, values: nil))
    }
    /// `{"<any key>": values}`.
    public static func map(of values: Schema) -> Schema {
        .object(ObjectSchema(properties: [], additionalProperties: true, values: values))
    }
    public var orNull: Schema { .nullable(self) }

    /// The object schema's properties (following a component), for composing one from another.
    public var properties: [Property] {
        switch self {
        case .object(let object): object.properties
        case .component(let component): component.schema.properties
        case .nullable(let inner): inner.properties
        default: []
        }
    }
}

extension Schema.Property {
    public static func required(_ name: String, _ schema: Schema, _ description: String? = nil) -> Self {
        Self(name: name, schema: schema, required: true, description: description)
    }
    public static func optional(_ name: String, _ schema: Schema, _ description: String? = nil) -> Self {
        Self(name: name, schema: schema, required: false, description: description)
    }
}

/// A schema with a name, shared by reference (an OpenAPI component).
public final class SchemaComponent: Sendable {
    public let name: String
    public let schema: Schema
    public let description: String?

    public init(_ name: String, description: String? = nil, _ schema: Schema) {
        self.name = name
        self.description = description
        self.schema = schema
    }

    public var ref: Schema { .component(self) }
}

extension Schema {
    /// A page of a list: `{"data": [item], "next_cursor": string or null}` (PRODUCT.md).
    public static func page(of item: SchemaComponent) -> Schema {
        SchemaComponent("\(item.name)List", description: "A page of \(item.name) objects, newest first", .object(
            .required("data", .array(of: item.ref)),
            .required("next_cursor", Schema.string.orNull, "pass it as ?cursor= for the next page; null on the last"))).ref
    }

    /// An amount in integer minor units (pence).
    public static let amount = Schema.integer(minimum: -9_007_199_254_740_991, maximum: 9_007_199_254_740_991)
    /// An ISO 4217 code; the API deals in pounds sterling.
    public static let currency = Schema.oneOf(["GBP"])
}
