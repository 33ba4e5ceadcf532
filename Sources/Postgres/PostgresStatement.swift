import CLibPQ
import Glibc

/// One statement on its way through a connection: what to send at each stage and what to do
/// with each stage's outcome. A statement with parameters is prepared the first time this
/// connection sees its text and executed by name from then on; one without (a script, BEGIN)
/// goes through the simple protocol. Driven the same way by the blocking and the event-loop paths.
struct PostgresStatement {
    enum Stage {
        /// Simple protocol: `;`-separated statements, no parameters.
        case script
        /// Extended protocol, unnamed: parsed and planned for this one execution.
        case unnamed
        /// Parse under `name`; then `.execute`.
        case prepare(name: String)
        case execute(name: String)
    }

    enum Next {
        /// Send the (new) current stage.
        case sendAgain
        case finished(Result<PostgresRows, PostgresError>)
    }

    let text: String
    let binds: [PostgresBind]
    private(set) var stage: Stage
    /// Whether this statement counts towards the round-trip budget (not the `Parse` stage).
    var countsAsStatement: Bool { if case .prepare = stage { false } else { true } }

    /// Plans `text`: a script, a cached prepared statement, one to prepare now, or unnamed.
    init(text: String, binds: [PostgresBind]?, cache: inout PostgresStatementCache, usesPreparedStatements: Bool) {
        self.text = text
        self.binds = binds ?? []
        guard binds != nil else {
            stage = .script
            return
        }
        let types = self.binds.map { $0.type.rawValue }
        if !usesPreparedStatements {
            stage = .unnamed
        } else if let entry = cache.entry(for: text) {
            stage = entry.types == types ? .execute(name: entry.name) : .unnamed
        } else if cache.isFull {
            stage = .unnamed
        } else {
            stage = .prepare(name: cache.newName())
        }
    }

    /// Queues the current stage in libpq's output buffer. False when libpq refuses (the
    /// connection is gone). A text parameter containing NUL is refused before anything is sent.
    func send(_ connection: OpaquePointer) throws -> Bool {
        switch stage {
        case .script:
            return PQsendQuery(connection, text) == 1
        case .prepare(let name):
            let types = binds.map { $0.type.rawValue }
            return PQsendPrepare(connection, name, text, Int32(binds.count), types) == 1
        case .unnamed:
            let types = binds.map { $0.type.rawValue }
            return try withParameterValues { values in
                PQsendQueryParams(connection, text, Int32(binds.count), types, values, nil, nil, 0) == 1
            }
        case .execute(let name):
            return try withParameterValues { values in
                PQsendQueryPrepared(connection, name, Int32(binds.count), values, nil, nil, 0) == 1
            }
        }
    }

    /// Decides what follows a stage's outcome. `inTransactionBlock` is the session's state
    /// after the failure: a retry is only safe outside one (inside, the error aborted it).
    mutating func completed(_ outcome: Result<PostgresRows, PostgresError>, cache: inout PostgresStatementCache,
                            inTransactionBlock: Bool) -> Next {
        switch (stage, outcome) {
        case (.prepare(let name), .success):
            cache.add(text, .init(name: name, types: binds.map { $0.type.rawValue }))
            stage = .execute(name: name)
            return .sendAgain
        case (.execute, .failure(let error)) where error.invalidatesPreparedStatement:
            // The server lost the statement (DISCARD ALL) or its plan no longer fits the schema
            // (a migration changed a table): forget it, and run this call unnamed if we may.
            cache.remove(text)
            guard !inTransactionBlock else { return .finished(outcome) }
            stage = .unnamed
            return .sendAgain
        default:
            return .finished(outcome)
        }
    }

    /// The parameter values as NUL-terminated C strings (NULL for SQL NULL), in one buffer.
    private func withParameterValues<T>(_ body: ([UnsafePointer<CChar>?]) throws -> T) throws -> T {
        var storage: [CChar] = []
        var offsets: [Int?] = []
        offsets.reserveCapacity(binds.count)
        for bind in binds {
            guard let text = bind.text else {
                offsets.append(nil)
                continue
            }
            offsets.append(storage.count)
            for byte in text.utf8 {
                guard byte != 0 else {
                    throw PostgresError(code: .invalidParameter, message: "a text parameter contains a NUL byte")
                }
                storage.append(CChar(bitPattern: byte))
            }
            storage.append(0)
        }
        return try storage.withUnsafeBufferPointer { buffer in
            try body(offsets.map { offset in offset.map { UnsafePointer(buffer.baseAddress! + $0) } })
        }
    }
}

extension PostgresError {
    /// 26000 invalid_sql_statement_name, 0A000 "cached plan must not change result type".
    var invalidatesPreparedStatement: Bool { sqlState == "26000" || sqlState == "0A000" }
}
