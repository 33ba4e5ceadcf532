/// An error from the database layer: a server error with its SQLSTATE and fields (pgx's `PgError`),
/// or a client-side failure (connecting, timeouts, decoding).
///
/// `description` deliberately leaves out the server's message text and `detail`, which can quote
/// parameter values (`Key (email)=(a@b.c) already exists`). Log `message`/`detail` explicitly
/// where that is acceptable; never send them to an HTTP client.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarse enough to switch on.
    public enum Code: String, Sendable, Equatable {
        /// Could not open a connection (the message names host and reason).
        case connectionFailed
        /// The connection broke while in use; the statement's outcome is unknown.
        case connectionClosed
        /// No pooled connection became free within the pool's acquire timeout.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// The client-side deadline of a statement passed; the connection was dropped.
        case queryTimeout
        /// SQLSTATE 23505.
        case uniqueViolation
        /// SQLSTATE 23503.
        case foreignKeyViolation
        /// SQLSTATE 23514.
        case checkViolation
        /// SQLSTATE 23502.
        case notNullViolation
        /// SQLSTATE 23P01.
        case exclusionViolation
        /// SQLSTATE 40001 (retryable).
        case serializationFailure
        /// SQLSTATE 40P01 (retryable).
        case deadlockDetected
        /// SQLSTATE 57014: statement_timeout or a cancel request.
        case queryCanceled
        /// Any other error reported by the server; see `sqlState`.
        case server
        /// A value in a result could not be decoded into the requested Swift type.
        case decoding
        /// The caller asked for something impossible (e.g. exactly one row and got none).
        case unexpectedResult
        /// A parameter cannot be sent (text containing a NUL byte).
        case invalidParameter
    }

    public let code: Code
    /// The five-character SQLSTATE, for server errors.
    public let sqlState: String?
    /// The primary message (server `M` field or a client-side explanation).
    public let message: String
    public let detail: String?
    public let hint: String?
    public let constraint: String?
    public let schema: String?
    public let table: String?
    public let column: String?

    public init(
        code: Code, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, schema: String? = nil, table: String? = nil, column: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
    }

    /// Builds a server error, deriving `code` from the SQLSTATE.
    static func server(sqlState: String, message: String, detail: String?, hint: String?,
                       constraint: String?, schema: String?, table: String?, column: String?) -> PostgresError {
        PostgresError(code: Code(sqlState: sqlState), sqlState: sqlState, message: message, detail: detail,
                      hint: hint, constraint: constraint, schema: schema, table: table, column: column)
    }

    public var isUniqueViolation: Bool { code == .uniqueViolation }
    /// Serialization failures and deadlocks: the whole transaction may be retried.
    public var isRetryableTransactionFailure: Bool { code == .serializationFailure || code == .deadlockDetected }
    /// The connection can no longer be used.
    public var isConnectionFailure: Bool {
        switch code {
        case .connectionFailed, .connectionClosed, .queryTimeout: true
        default: sqlState?.hasPrefix("08") == true || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
        }
    }

    public var description: String {
        var text = "PostgresError.\(code.rawValue)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let constraint { text += " constraint=\(constraint)" }
        switch code {
        // Client-side messages never contain parameter values, and they are what makes these useful.
        case .connectionFailed, .connectionClosed, .poolTimeout, .poolClosed, .queryTimeout, .decoding,
             .unexpectedResult, .invalidParameter:
            text += ": \(message)"
        default:
            break
        }
        return text
    }
}

extension PostgresError.Code {
    init(sqlState: String) {
        switch sqlState {
        case "23505": self = .uniqueViolation
        case "23503": self = .foreignKeyViolation
        case "23514": self = .checkViolation
        case "23502": self = .notNullViolation
        case "23P01": self = .exclusionViolation
        case "40001": self = .serializationFailure
        case "40P01": self = .deadlockDetected
        case "57014": self = .queryCanceled
        default: self = sqlState.hasPrefix("08") ? .connectionClosed : .server
        }
    }
}
