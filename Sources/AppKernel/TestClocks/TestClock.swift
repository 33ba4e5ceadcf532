public import Foundation
public import Postgres

/// A sandbox test clock (PRODUCT.md): frozen time that moves only forward, when advanced.
public struct TestClock: Sendable, Equatable, Encodable {
    public let id: UUID
    public let frozenTime: Date

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        frozenTime = try row.decode(Date.self, at: 1)
    }
}

/// Owns every SQL statement against `kernel.test_clocks`.
public struct TestClockStore: Sendable {
    let database: any PostgresQueryable

    public init(database: any PostgresQueryable) { self.database = database }

    public func create(frozenTime: Date) async throws -> TestClock {
        try await database.queryOne("""
            INSERT INTO kernel.test_clocks (id, frozen_time) VALUES (\(UUID()), \(frozenTime))
            RETURNING id, frozen_time
            """, decode: TestClock.init(row:))
    }

    public func find(id: UUID) async throws -> TestClock? {
        try await database.queryOptional("SELECT id, frozen_time FROM kernel.test_clocks WHERE id = \(id)",
                                         decode: TestClock.init(row:))
    }

    /// Moves the clock to `time`, never backwards; returns the previous time. Locks the row so
    /// concurrent advances of one clock run one after the other.
    func advance(id: UUID, to time: Date, on transaction: PostgresConnection) async throws(AppError) -> Date {
        do {
            guard let current = try await transaction.queryOptional(
                "SELECT frozen_time FROM kernel.test_clocks WHERE id = \(id) FOR UPDATE", decode: { try $0.decode(Date.self, at: 0) })
            else { throw AppError.notFound("no test clock \(id.uuidString.lowercased())") }
            guard time >= current else {
                throw AppError.invalid("a test clock only moves forward",
                                       fields: [FieldError(field: "frozen_time", message: "must not be before \(RFC3339.format(current))")])
            }
            try await transaction.execute("UPDATE kernel.test_clocks SET frozen_time = \(time), updated_at = now() WHERE id = \(id)")
            return current
        } catch let error as AppError {
            throw error
        } catch {
            throw AppError.unavailable("could not advance the test clock")
        }
    }
}
