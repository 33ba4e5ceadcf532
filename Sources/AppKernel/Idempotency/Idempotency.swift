import Cryptography
public import Foundation
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
        let requestHash = Self.hash(request)
        return try await database.withTransaction(isolation: nil) { transaction in
            let acquired = try await transaction.queryValue(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(\(scope + "\u{1F}" + key), 0))", as: Bool.self)
            guard acquired else { throw Self.inFlight }
            if let stored = try await Self.record(scope: scope, key: key, on: transaction, lock: false) {
                return try stored.replay(requestHash: requestHash)
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

    /// Like `run`, for requests that call an outside service (a card charge), which must not
    /// happen inside a database transaction:
    /// 1. `begin` creates the local resource (e.g. a payment row) in a transaction that also
    ///    claims the key as in flight;
    /// 2. `complete` does the outside call (itself idempotent, keyed by the resource) and
    ///    records the outcome, returning the response, which is then stored for replays.
    /// A duplicate while the claim is held gets 409. The claim never outlives the request that
    /// holds it unless the process dies: when the database goes away after the outside call,
    /// the request waits for it (up to `completionPatience`) and finishes, so the stored answer
    /// is there as soon as the database is back (`Idempotency+Completion.swift`); when
    /// `complete` fails for any other reason, the claim is ended at once, so that a retry with
    /// the same key resumes the same resource instead of waiting out the lapse. Only a dead
    /// process leaves a claim to lapse after `claimDuration`. The key is never freed for a new
    /// resource: whatever the outside call did is found again by resuming the one it was for.
    public func runWithExternalCall(
        scope: String, request: HTTPRequest, requestID: String, claimDuration: TimeInterval = 60,
        completionPatience: Duration = .seconds(20),
        begin: (PostgresConnection) async throws -> UUID,
        complete: @escaping @Sendable (UUID) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        guard let key = try Self.key(from: request) else {
            return try await complete(try await database.withTransaction(isolation: nil, begin))
        }
        let requestHash = Self.hash(request)
        let deadline = ContinuousClock.now + completionPatience
        let claim = try await self.claim(scope: scope, key: key, requestHash: requestHash, claimDuration: claimDuration,
                                         deadline: deadline, begin: begin)
        switch claim {
        case .replay(let response):
            return response
        case .resume(let resource):
            // From here money may move. A handler past its deadline is cancelled, but this part
            // must not stop half way (charged, not booked, the claim left to lapse): it runs as
            // an unstructured task, which inherits the request's task-locals (the audit actor,
            // the statement counter) and its event loop, but not its cancellation.
            let finishing = Task {
                try await finish(scope: scope, key: key, resource: resource, requestID: requestID, deadline: deadline,
                                 complete: complete)
            }
            return try await finishing.value
        }
    }

    enum Claim { case replay(HTTPResponse), resume(UUID) }

    /// Step 1: the stored answer, or the resource this request may now work on (new, or one a
    /// lapsed claim left behind).
    private func claim(scope: String, key: String, requestHash: String, claimDuration: TimeInterval, deadline: ContinuousClock.Instant,
                       begin: (PostgresConnection) async throws -> UUID) async throws -> Claim {
        var created: UUID?
        do {
            return try await database.withTransaction(isolation: nil) { transaction in
                if let stored = try await Self.record(scope: scope, key: key, on: transaction, lock: true) {
                    guard stored.requestHash == requestHash else { throw Self.reusedKey }
                    if stored.isCompleted { return .replay(try stored.replay(requestHash: requestHash)) }
                    guard let resource = stored.resourceID, stored.claimLapsed else { throw Self.inFlight }
                    try await transaction.execute("""
                        UPDATE kernel.idempotency_keys SET locked_until = now() + make_interval(secs => \(claimDuration))
                        WHERE scope = \(scope) AND key = \(key)
                        """)
                    return .resume(resource)
                }
                let resource = try await transaction.withTransaction(isolation: nil, begin)
                created = resource
                let inserted = try await transaction.execute("""
                    INSERT INTO kernel.idempotency_keys (scope, key, request_hash, state, resource_id, locked_until)
                    VALUES (\(scope), \(key), \(requestHash), 'in_flight', \(resource), now() + make_interval(secs => \(claimDuration)))
                    ON CONFLICT (scope, key) DO NOTHING
                    """)
                // Another request with this key committed its claim first: ours rolls back.
                guard inserted == 1 else { throw Self.inFlight }
                return .resume(resource)
            }
        } catch let error as PostgresError where error.isDatabaseUnavailable {
            // The connection broke around COMMIT: the claim may have committed without our
            // hearing it. If it did (the key names the resource this request made), it is ours
            // to finish; otherwise nothing of it exists and the client may simply retry.
            guard let created else { throw error }
            let holder = try await Self.whenDatabaseIsBack(until: deadline) {
                try await Self.record(scope: scope, key: key, on: database, lock: false)
            }
            guard let holder, holder.resourceID == created, !holder.isCompleted else { throw error }
            return .resume(created)
        }
    }

    /// Forgets completed records older than `age` (PRODUCT.md promises at least 24 hours; we keep
    /// a week). Claims still in flight are kept whatever their age. Returns how many went.
    @discardableResult
    public func deleteCompleted(olderThan age: TimeInterval = 7 * 86_400) async throws -> Int {
        try await database.execute("""
            DELETE FROM kernel.idempotency_keys WHERE state = 'completed' AND created_at < now() - make_interval(secs => \(age))
            """)
    }

    /// What the request means: its method, path and body, a JSON body in canonical form (keys
    /// sorted, no whitespace), so the same JSON written differently under the same key is a
    /// replay, not a different request.
    static func hash(_ request: HTTPRequest) -> String {
        var body = request.body
        if !body.isEmpty, let value = try? JSON.decode(JSONValue.self, from: body), let canonical = try? JSON.encode(value) {
            body = canonical
        }
        return Digest.sha256(Array("\(request.method.rawValue) \(request.path)\n".utf8) + body).hexString
    }

    static let inFlight = AppError(status: .conflict, slug: "idempotency-in-flight",
                                   detail: "a request with this Idempotency-Key is still being processed; retry shortly")
    static let reusedKey = AppError(status: .unprocessableContent, slug: "idempotency-key-reused",
                                    detail: "this Idempotency-Key was used with a different request")

    static func record(scope: String, key: String, on transaction: any PostgresQueryable, lock: Bool) async throws -> StoredRecord? {
        try await transaction.queryOptional("""
            SELECT request_hash, state, resource_id, coalesce(locked_until < now(), false), response_status, response_type, response_body
            FROM kernel.idempotency_keys WHERE scope = \(scope) AND key = \(key) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """, decode: StoredRecord.init(row:))
    }

    struct StoredRecord {
        let requestHash: String
        let isCompleted: Bool
        let resourceID: UUID?
        /// The in-flight claim's time ran out (on the database's clock): a retry may resume it.
        let claimLapsed: Bool
        let status: Int?
        let contentType: String?
        let body: [UInt8]?

        init(row: PostgresRow) throws {
            requestHash = try row.decode(String.self, at: 0)
            isCompleted = try row.decode(String.self, at: 1) == "completed"
            resourceID = try row.decode(UUID?.self, at: 2)
            claimLapsed = try row.decode(Bool.self, at: 3)
            status = try row.decode(Int32?.self, at: 4).map(Int.init)
            contentType = try row.decode(String?.self, at: 5)
            body = try row.decode(Data?.self, at: 6).map { Array($0) }
        }

        /// The stored first response, or 422/409 when the request differs or is still running.
        func replay(requestHash: String) throws -> HTTPResponse {
            guard self.requestHash == requestHash else { throw Idempotency.reusedKey }
            guard isCompleted, let status, let contentType, let body else { throw Idempotency.inFlight }
            var response = HTTPResponse(status: HTTPStatus(code: status, reasonPhrase: HTTPStatus.reasonPhrases[status] ?? ""),
                                        contentType: contentType, body: body)
            response.headers.add(name: "idempotent-replayed", value: "true")
            return response
        }
    }
}

