import NIOConcurrencyHelpers

/// Waiting for background work at shutdown without letting it hold the process.
enum BoundedWait {
    /// Waits for `task` to finish, for at most `limit`.
    ///
    /// Awaiting a task's value cannot be cancelled, so the wait races it against a timer
    /// instead of joining both in a task group (which would wait for the task anyway).
    /// - Returns: whether the task finished in time.
    static func finish(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
        let resumed = NIOLockedValueBox(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            @Sendable func resume(_ finished: Bool) {
                let first = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: finished) }
            }
            Task {
                await task.value
                resume(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                resume(false)
            }
        }
    }
}
