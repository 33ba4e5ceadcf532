public import HTTPServer

/// Builds `application/problem+json` responses (RFC 9457).
public enum ProblemDetails {
    /// The problem object every error answer is, for the OpenAPI document and response checks.
    public static let schema = SchemaComponent("Problem", description: "An error (RFC 9457 problem details)", .object([
        .required("type", .string, "a relative URI under /problems/, ending with the problem's slug"),
        .required("title", .string),
        .required("status", .integer(minimum: 100, maximum: 599)),
        .required("detail", .string, "what went wrong, for a person"),
        .required("request_id", .string, "quote it to support"),
        .optional("errors", .array(of: .object(.required("field", .string), .required("message", .string))),
                  "every invalid field, by name"),
    ], additionalProperties: true))

    /// Problem types are relative URIs under `/problems/`, so `type` ends with the slug
    /// (`/problems/declined`), as PRODUCT.md's contract checks.
    public static func typeURI(slug: String) -> String { "/problems/\(slug)" }

    public static func response(for error: any ResponseError, requestID: String?) -> HTTPResponse {
        var members: [String: JSONValue] = error.extensionMembers
        members["type"] = .string(typeURI(slug: error.problemSlug))
        members["title"] = .string(error.title)
        members["status"] = .integer(Int64(error.status.code))
        members["detail"] = .string(error.detail)
        if !error.fieldErrors.isEmpty {
            members["errors"] = .array(error.fieldErrors.map {
                .object(["field": .string($0.field), "message": .string($0.message)])
            })
        }
        if let requestID { members["request_id"] = .string(requestID) }
        var response = HTTPResponse(status: error.status, contentType: "application/problem+json",
                                    body: (try? JSON.encode(JSONValue.object(members))) ?? Array("{}".utf8))
        for field in error.responseHeaders { response.headers.replaceOrAdd(name: field.name, value: field.value) }
        return response
    }
}
