import AppKernel
public import Postgres

extension Payments {
    /// Our payments whose processor intent is `intentID` (`pi_…`), at most 10: reconciliation
    /// suggests one only when exactly one matches.
    public func payments(processorIntentID intentID: String, on database: (any PostgresQueryable)? = nil) async throws -> [Payment] {
        try await PaymentsStore(database: database ?? app.database).matching(intentID: intentID, id: nil)
    }

    /// Our payments whose processor charge is `chargeID` (`ch_…`, a settlement line's source), at most 10.
    public func payments(processorChargeID chargeID: String, on database: (any PostgresQueryable)? = nil) async throws -> [Payment] {
        try await PaymentsStore(database: database ?? app.database).matching(intentID: nil, chargeID: chargeID, id: nil)
    }
}
