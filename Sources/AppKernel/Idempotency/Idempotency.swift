import Cryptography
public import HTTPServer
public import Postgres

/// `Idempotency-Key` semantics for POSTs that create a policy or move money (PRODUCT.md):
/// same key and body → the stored first response; same key, different body → 422; a request
/// with that key still in flight → 409. Keys are scoped to the caller and kept at least 24 h.
///
/// The handler's database work and the stored response commit in one transaction, so a
/// retried request can never create a second policy: either the first attempt committed
/// (and is replayed) or nothing of it exists. A transaction-scoped advisory lock on the key
/// tells a concurrent duplicate that the first is still running (409) instead of making it wait.
/// Handler errors that are the client's fault (4xx) are stored and replayed too; anything
/// unexpected rolls back and leaves the key free for a retry.
public struct Idempotency: Sendable {
    public let database: PostgresPool

    public init(database: PostgresPool) { self.database = database }

    /// Validates the optional header: 1–255 visible ASCII characters.
    public static func key(from request: HTTPRequest) throws(AppError) -> String? {
        guard let key = request.headers["idempotency-key"] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw .badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters",
                              fields: [FieldError(field: "Idempotency-Key", message: "is invalid")])
        }
        return key
    }

    /// Runs `body` in a transaction under the request's idempotency key (if any).
    public func run(scope: String, request: HTTPRequest, requestID: String,
                    _ body: (PostgresConnection) async throws -> HTTPResponse) async throws -> HTTPResponse {
        guard let key = try Self.key(from: request) else {
            return try await database.withTransaction(isolation: nil, body)
        }
        let requestHash = Digest.sha256(Array("\(request.method.rawValue) \(request.path)\n".utf8) + request.body).hexString
        return try await database.withTransaction(isolation: nil) { transaction in
            let acquired = try await transaction.queryValue(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(\(scope + "\u{1F}" + key), 0))", as: Bool.self)
            guard acquired else {
                throw AppError(status: .conflict, slug: "idempotency-in-flight",
                               detail: "a request with this Idempotency-Key is still being processed; retry shortly")
            }
            if let stored = try await transaction.queryOptional("""
                SELECT request_hash, response_status, response_type, response_body
                FROM kernel.idempotency_keys WHERE scope = \(scope) AND key = \(key)
                """, decode: StoredResponse.init(row:)) {
                guard stored.requestHash == requestHash else {
                    throw AppError(status: .unprocessableContent, slug: "idempotency-key-reused",
                                   detail: "this Idempotency-Key was used with a different request")
                }
                var response = HTTPResponse(status: HTTPStatus(code: stored.status, reasonPhrase: HTTPStatus.reasonPhrases[stored.status] ?? ""),
                                            contentType: stored.contentType, body: stored.body)
                response.headers.add(name: "idempotent-replayed", value: "true")
                return response
            }
            var response: HTTPResponse
            do {
                response = try await transaction.withTransaction(isolation: nil, body)
            } catch let error as any ResponseError where error.status.code < 500 {
                // The client's mistake is part of the record: a retry gets the same answer.
                response = ProblemDetails.response(for: error, requestID: requestID)
            }
            try await transaction.execute("""
                INSERT INTO kernel.idempotency_keys (scope, key, request_hash, response_status, response_type, response_body)
                VALUES (\(scope), \(key), \(requestHash), \(Int32(response.status.code)),
                        \(response.headers["content-type"] ?? "application/json"), \(Data(response.body)))
                """)
            return response
        }
    }

    private struct StoredResponse {
        let requestHash: String
        let status: Int
        let contentType: String
        let body: [UInt8]
        init(row: PostgresRow) throws {
            requestHash = try row.decode(String.self, at: 0)
            status = Int(try row.decode(Int32.self, at: 1))
            contentType = try row.decode(String.self, at: 2)
            body = Array(try row.decode(Data.self, at: 3))
        }
    }
}

import Foundation
