public import HTTPServer

/// Builds `application/problem+json` responses (RFC 9457).
public enum ProblemDetails {
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
