/// The statements a connection has prepared, by text. A statement is parsed and planned once
/// per connection and then only bound and executed: for the short lookups that make up most
/// requests, parse and plan are most of PostgreSQL's work.
///
/// Bounded: past `capacity` distinct texts (admin lists compose their filters, so texts vary)
/// further statements run unnamed, as if there were no cache.
struct PostgresStatementCache {
    struct Entry {
        let name: String
        /// The parameter types it was prepared with: a call binding other types (a NULL typed
        /// differently, say) must not reuse it.
        let types: [UInt32]
    }

    static let capacity = 512
    private var entries: [String: Entry] = [:]
    private var nextNumber = 0

    func entry(for text: String) -> Entry? { entries[text] }

    var isFull: Bool { entries.count >= Self.capacity }

    /// A fresh name for `text`, to be recorded with `add` once the server has prepared it.
    mutating func newName() -> String {
        nextNumber += 1
        return "hg_\(nextNumber)"
    }

    mutating func add(_ text: String, _ entry: Entry) { entries[text] = entry }

    /// Forgets a statement the server no longer has (or whose plan no longer fits).
    mutating func remove(_ text: String) { entries[text] = nil }

    mutating func removeAll() { entries = [:] }
}
