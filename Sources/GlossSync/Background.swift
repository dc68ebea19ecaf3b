import Foundation

/// One piece of work running on its own thread while the caller goes on; ``value()``
/// waits for it. The sync engine fetches the next pull page this way while it applies
/// the current one.
///
/// The work may use objects that are not `Sendable` (the transport, the engine): the
/// caller must not touch them until ``value()`` has returned, which is what makes
/// handing them to the thread safe.
final class Background<Value>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Result<Value, any Error>?
    private var taken = false

    init(_ work: @escaping () throws -> Value) {
        nonisolated(unsafe) let work = work
        let thread = Thread { [self] in
            outcome = Result { try work() }
            finished.signal()
        }
        thread.name = "gloss-prefetch"
        thread.start()
    }

    /// Waits for the work and returns what it returned or throws what it threw. Call it once.
    func value() throws -> Value {
        precondition(!taken, "Background.value() called twice")
        taken = true
        finished.wait()
        return try outcome!.get()
    }
}
