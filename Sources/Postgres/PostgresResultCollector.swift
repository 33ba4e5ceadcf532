import CLibPQ

/// Gathers the results of one statement as libpq hands them over, without blocking, so the
/// same bookkeeping serves a connection waiting on its own thread and one driven by an event
/// loop. Keeps the first error (later results after an error are libpq's bookkeeping), else
/// the last result.
struct PostgresResultCollector {
    private var kept: PostgresResult?
    private var firstError: PostgresError?

    /// Takes every result libpq has ready. True once the statement is complete (no more
    /// results); false when more input must be read first.
    mutating func drain(_ connection: OpaquePointer) -> Bool {
        while PQisBusy(connection) == 0 {
            guard let result = PQgetResult(connection) else { return true }
            take(result, connection)
        }
        return false
    }

    private mutating func take(_ result: OpaquePointer, _ connection: OpaquePointer) {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            kept = PostgresResult(result)
        case PGRES_COPY_IN:
            // A COPY ... FROM STDIN sent through `query`: refuse it and let the server clean up.
            PQputCopyEnd(connection, "COPY FROM STDIN must go through copyFrom")
            PQclear(result)
        case PGRES_COPY_OUT:
            PQclear(result)
            firstError = firstError ?? PostgresError(code: .unexpectedResult, message: "COPY TO STDOUT is not supported")
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(connection, &buffer, 0) > 0 { PQfreemem(buffer) }
        default:
            firstError = firstError ?? PostgresConnection.serverError(result, connection: connection)
            PQclear(result)
        }
    }

    /// The statement's outcome once `drain` returned true.
    var outcome: Result<PostgresRows, PostgresError> {
        if let firstError { return .failure(firstError) }
        return .success(PostgresRows(result: kept))
    }
}
