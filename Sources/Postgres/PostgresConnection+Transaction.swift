import Synchronization
extension PostgresConnection {
    /// Runs `body` in a transaction: commit when it returns, roll back when it throws. Called
    /// inside another transaction it uses a savepoint instead (the isolation level is the outer one's).
    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel?, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let depth = state.withLock { state -> Int in
            state.transactionDepth += 1
            return state.transactionDepth - 1
        }
        defer { state.withLock { $0.transactionDepth -= 1 } }
        let savepoint = "hourglass_savepoint_\(depth)"
        if depth == 0 {
            try await executeScript("BEGIN" + (isolation.map { " ISOLATION LEVEL \($0.rawValue)" } ?? ""))
        } else {
            try await executeScript("SAVEPOINT \(savepoint)")
        }
        do {
            let result = try await body(self)
            try await executeScript(depth == 0 ? "COMMIT" : "RELEASE SAVEPOINT \(savepoint)")
            return result
        } catch {
            if !isBroken {
                // A failed rollback means a broken session; the pool then discards it.
                _ = try? await executeScript(
                    depth == 0 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT \(savepoint); RELEASE SAVEPOINT \(savepoint)")
            }
            throw error
        }
    }
}
