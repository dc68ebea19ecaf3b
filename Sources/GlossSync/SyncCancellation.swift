import Foundation

/// Asks a running sync to stop: checked between requests, during backoff waits and by
/// the transports while a transfer runs, so a stop takes effect within a fraction of a
/// second. A sync stopped this way leaves the replica consistent: every page and batch
/// is applied in one transaction or not at all.
///
/// ``SyncSession`` cancels it when the task awaiting the sync is cancelled.
public final class SyncCancellation: @unchecked Sendable {
    private let condition = NSCondition()
    private var cancelled = false
    private var handlers: [Int: @Sendable () -> Void] = [:]
    private var nextHandler = 0

    public init() {}

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Stops the sync; calling it again does nothing.
    public func cancel() {
        condition.lock()
        guard !cancelled else {
            condition.unlock()
            return
        }
        cancelled = true
        let toCall = Array(handlers.values)
        handlers = [:]
        condition.broadcast()
        condition.unlock()
        for handler in toCall { handler() }
    }

    /// Runs `handler` when the sync is cancelled (at once if it is already), until the
    /// returned registration is removed with ``removeHandler(_:)``. A transport aborts
    /// its transfer this way.
    @discardableResult
    public func onCancel(_ handler: @escaping @Sendable () -> Void) -> Int {
        condition.lock()
        if cancelled {
            condition.unlock()
            handler()
            return -1
        }
        nextHandler += 1
        handlers[nextHandler] = handler
        condition.unlock()
        return nextHandler
    }

    /// Forgets a handler registered with ``onCancel(_:)``.
    public func removeHandler(_ registration: Int) {
        condition.lock()
        handlers[registration] = nil
        condition.unlock()
    }

    /// Waits `seconds`, or less when cancelled meanwhile.
    /// - Returns: false when the wait ended because of a cancellation.
    public func sleep(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !cancelled {
            if !condition.wait(until: deadline) { return true }
        }
        return false
    }
}
