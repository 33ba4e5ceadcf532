import Dispatch
import Foundation
import HTTPServer
import Postgres

/// Step 2 of `runWithExternalCall`: the outside call, and ending the claim, so that a client
/// retrying the key gets the real answer as soon as there is one to give.
///
/// Why the request itself waits for the database: a charge the processor made while the
/// database was away (a restart, a failover) cannot be recorded until it is back, and until
/// the answer is stored every retry of the key can only be told 409. Waiting here, with a
/// short backoff, records it within a moment of the database's return instead of after the
/// claim's lapse. `complete` is idempotent for its resource (its outside call is keyed by it,
/// and recording an outcome is once-only), so running it again after a broken connection
/// gives the same answer the first run would have: the one stored is always the real one.
extension Idempotency {
    func finish(scope: String, key: String, resource: UUID, requestID: String, deadline: ContinuousClock.Instant,
                complete: (UUID) async throws -> HTTPResponse) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await Self.whenDatabaseIsBack(until: deadline) {
                do {
                    return try await complete(resource)
                } catch let error as any ResponseError where error.status.code < 500 {
                    // The client's mistake is part of the record: a retry gets the same answer.
                    return ProblemDetails.response(for: error, requestID: requestID)
                }
            }
        } catch {
            // No answer worth keeping (the processor failed, or the database stayed away): end
            // the claim so that a retry resumes this resource now. If the database is still
            // away this cannot be written, and the claim lapses on its own.
            _ = try? await Self.whenDatabaseIsBack(until: deadline) {
                try await database.execute("""
                    UPDATE kernel.idempotency_keys SET locked_until = now()
                    WHERE scope = \(scope) AND key = \(key) AND state = 'in_flight' AND resource_id = \(resource)
                    """)
            }
            throw error
        }
        try await Self.whenDatabaseIsBack(until: deadline) {
            try await database.execute("""
                UPDATE kernel.idempotency_keys SET state = 'completed', locked_until = NULL,
                    response_status = \(Int32(response.status.code)),
                    response_type = \(response.headers["content-type"] ?? "application/json"), response_body = \(Data(response.body))
                WHERE scope = \(scope) AND key = \(key)
                """)
        }
        return response
    }

    /// Runs `work`, and again after a pause (50 ms, doubling to 1 s) for as long as it fails
    /// because the database cannot be reached and `deadline` is not past; any other error, or
    /// the last one, is thrown. The pause ignores task cancellation on purpose: a request that
    /// moved money keeps trying to record it rather than leaving its claim to lapse.
    @discardableResult
    static func whenDatabaseIsBack<T>(until deadline: ContinuousClock.Instant, _ work: () async throws -> T) async throws -> T {
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try await work()
            } catch let error as PostgresError where error.isDatabaseUnavailable && ContinuousClock.now + pause < deadline {
                await pauseIgnoringCancellation(pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    private static func pauseIgnoringCancellation(_ pause: Duration) async {
        let nanoseconds = Int(pause.components.seconds) * 1_000_000_000 + Int(pause.components.attoseconds / 1_000_000_000)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { continuation.resume() }
        }
    }
}

extension PostgresError {
    /// The database could not be reached or the connection broke (a restart, a failover, no
    /// connection free in time): the same statement may well succeed a moment later.
    var isDatabaseUnavailable: Bool { isConnectionFailure || code == .poolTimeout }
}
