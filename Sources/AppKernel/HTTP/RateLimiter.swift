public import Foundation
import HTTPServer
public import Postgres

/// Fixed-window rate limits kept in PostgreSQL, so every server process counts the same hits.
public struct RateLimiter: Sendable {
    let database: any PostgresQueryable

    public init(database: any PostgresQueryable) { self.database = database }

    /// Counts a hit on `bucket` in the current window of `window` seconds (real time); throws
    /// 429 with `Retry-After` once more than `limit` hits fell in it.
    public func hit(_ bucket: String, limit: Int, window: Int, what: String) async throws {
        let hits = try await database.queryValue("""
            INSERT INTO kernel.rate_limits (bucket, window_start, hits)
            VALUES (\(bucket), to_timestamp(floor(extract(epoch FROM now()) / \(window)) * \(window)), 1)
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = kernel.rate_limits.hits + 1
            RETURNING hits
            """, as: Int32.self)
        guard hits <= limit else {
            throw AppError(status: .tooManyRequests, slug: "rate-limited", detail: "too many \(what) from this address; try again later",
                           headers: ["retry-after": "\(window)"])
        }
    }

    /// Forgets windows that ended more than a day ago.
    @discardableResult
    public func deleteOld() async throws -> Int {
        try await database.execute("DELETE FROM kernel.rate_limits WHERE window_start < now() - interval '1 day'")
    }
}
