import Synchronization

/// Values worked out once during a request and reused by later steps of the same request, by
/// type: the authenticator records the caller's account as it checks the token, so a handler
/// that needs the email does not ask the database again (round-trip budgets, README).
///
/// ```swift
/// context.memo.set(account)                    // in the authenticator
/// context.memo.value(Account.self)             // in a handler; nil if nobody recorded one
/// ```
public final class RequestMemo: Sendable {
    private let values = Mutex<[ObjectIdentifier: any Sendable]>([:])

    public init() {}

    public func set<Value: Sendable>(_ value: Value) {
        values.withLock { $0[ObjectIdentifier(Value.self)] = value }
    }

    public func value<Value: Sendable>(_ type: Value.Type) -> Value? {
        values.withLock { $0[ObjectIdentifier(type)] as? Value }
    }
}
