import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Wakes parked long polls when a change commits, so a waiting pull costs nothing until
/// there is something to send (instead of each poll re-querying the storage).
///
/// **No missed change.** A poll registers its waiter (corpus, cursor) *before* it reads its
/// page, and parks only when that read was empty: a push that committed before the
/// registration is in the page, and one that commits after it wakes the waiter. A wake is a
/// hint, never data: the poll reads its page again and parks again while it is still empty,
/// so waking early is always safe; what must never happen is waking late.
///
/// **Where wakes come from.** This process's pushes (``notify(corpusID:position:)``, called
/// by the push route once the storage has committed); pushes through other server processes,
/// from the storage's change feed (PostgreSQL `LISTEN`/`NOTIFY`, see
/// ``Storage/deliverChanges(to:)``); and a safety re-check.
///
/// **Why a safety re-check.** Notifications only deliver; the stored position is the truth.
/// A push through another process on the same SQLite data folder notifies nothing here, and
/// PostgreSQL notifications sent while the `LISTEN` connection is down or reconnecting are
/// lost, as are any on a connection that died without saying so. So while polls are parked,
/// one task looks up the latest position of each corpus that has parked polls and wakes the
/// ones behind it: every second when no live feed covers other processes (SQLite, or the
/// `LISTEN` connection down), every 10 s while it does. That is one primary-key lookup per
/// such corpus per interval however many polls are parked, and nothing at all when none is.
public final class ChangeNotifier: Sendable {
    /// Why a parked poll stopped waiting.
    enum Wake: Sendable, Equatable { case notified, deadline, shutdown, cancelled }

    private enum SlotState {
        /// Registered; not parked yet (its page is being read).
        case armed
        case parked(CheckedContinuation<Wake, Never>)
        /// Woken before it could park, or woken and not re-armed yet; the first reason wins.
        case woken(Wake)
    }

    private struct Slot {
        let corpusID: Int64
        let after: Int64
        var state: SlotState
    }

    private struct State {
        var slots: [UInt64: Slot] = [:]
        var byCorpus: [Int64: Set<UInt64>] = [:]
        var nextID: UInt64 = 0
        var parked = 0
        /// Whether the re-check task runs (it ends when no poll is registered).
        var rechecking = false
        var feedIsLive = false
    }

    private let state = NIOLockedValueBox(State())
    private let latestPosition: @Sendable (Int64) async throws -> Int64
    private let parkedChanged: @Sendable (Int) -> Void
    private let logger: Logger

    /// Re-check intervals: without a live feed of other processes' pushes, and with one.
    static let recheckWithoutFeed: Duration = .seconds(1)
    static let recheckWithFeed: Duration = .seconds(10)

    /// - Parameters:
    ///   - latestPosition: a corpus's latest stored position, for the safety re-check.
    ///   - parkedChanged: called with +1 when a poll parks and -1 when it wakes (under the
    ///     notifier's lock, so a gauge fed from it never runs ahead of the truth).
    init(
        latestPosition: @escaping @Sendable (Int64) async throws -> Int64, parkedChanged: @escaping @Sendable (Int) -> Void = { _ in },
        logger: Logger = Logger(label: "gloss-server.changes")
    ) {
        self.latestPosition = latestPosition
        self.parkedChanged = parkedChanged
        self.logger = logger
    }

    /// A change up to `position` has committed in the corpus: wakes its polls waiting after an
    /// earlier position. Calling it again, or with a position already seen, is harmless.
    public func notify(corpusID: Int64, position: Int64) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Wake, Never>] in
            var woken: [CheckedContinuation<Wake, Never>] = []
            for id in state.byCorpus[corpusID] ?? [] where state.slots[id]!.after < position {
                if let continuation = Self.wake(id, .notified, &state, parkedChanged) { woken.append(continuation) }
            }
            return woken
        }
        for continuation in woken { continuation.resume(returning: .notified) }
    }

    /// Whether a feed of other processes' pushes is live (PostgreSQL's `LISTEN` connection is
    /// up); sets how often the safety re-check runs.
    func changeFeed(isLive: Bool) {
        state.withLockedValue { $0.feedIsLive = isLive }
    }

    /// How many polls are parked now.
    var parkedCount: Int { state.withLockedValue { $0.parked } }

    /// Whether ``changeFeed(isLive:)`` last said the feed is live.
    var isFeedLive: Bool { state.withLockedValue { $0.feedIsLive } }

    /// Reads with `read` until `isAnswer` accepts what it read, parking in between until a
    /// change after `after` may have committed in the corpus. At `deadline`, or when the
    /// server begins a graceful stop, returns the last (unaccepted) read at once.
    /// - Throws: what `read` throws, or `CancellationError` when the task is cancelled.
    func poll<Answer>(
        corpusID: Int64, after: Int64, until deadline: ContinuousClock.Instant, read: () async throws -> Answer,
        isAnswer: (Answer) -> Bool
    ) async throws -> Answer {
        let id = register(corpusID: corpusID, after: after)
        defer { unregister(id) }
        while true {
            // Registered (or re-armed) before this read: whatever commits after it wakes us.
            let answer = try await read()
            if isAnswer(answer) || ContinuousClock.now >= deadline || Task.isShuttingDownGracefully { return answer }
            switch await park(id, until: deadline) {
            case .notified: state.withLockedValue { $0.slots[id]?.state = .armed }
            case .deadline, .shutdown: return answer
            case .cancelled: throw CancellationError()
            }
        }
    }

    private func register(corpusID: Int64, after: Int64) -> UInt64 {
        let (id, startRecheck) = state.withLockedValue { state -> (UInt64, Bool) in
            state.nextID += 1
            state.slots[state.nextID] = Slot(corpusID: corpusID, after: after, state: .armed)
            state.byCorpus[corpusID, default: []].insert(state.nextID)
            let start = !state.rechecking
            state.rechecking = true
            return (state.nextID, start)
        }
        // Unstructured, like a timer: it outlives no poll by more than a second (see `recheckLoop`).
        if startRecheck { Task { await self.recheckLoop() } }
        return id
    }

    private func unregister(_ id: UInt64) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Wake, Never>? in
            let continuation = Self.wake(id, .cancelled, &state, parkedChanged)
            guard let slot = state.slots.removeValue(forKey: id) else { return continuation }
            state.byCorpus[slot.corpusID]?.remove(id)
            if state.byCorpus[slot.corpusID]?.isEmpty == true { state.byCorpus[slot.corpusID] = nil }
            return continuation
        }
        continuation?.resume(returning: .cancelled)
    }

    /// Parks until notified, the deadline, a graceful stop or cancellation; returns which.
    private func park(_ id: UInt64, until deadline: ContinuousClock.Instant) async -> Wake {
        await withTaskGroup(of: Void.self) { group in
            // The deadline: one sleeping child per parked poll, cancelled once it wakes otherwise.
            group.addTask {
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
                self.wake(id, .deadline)
            }
            let wake = await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await withCheckedContinuation { continuation in suspend(id, continuation) }
                } onGracefulShutdown: {
                    self.wake(id, .shutdown)
                }
            } onCancel: {
                self.wake(id, .cancelled)
            }
            group.cancelAll()
            return wake
        }
    }

    private func suspend(_ id: UInt64, _ continuation: CheckedContinuation<Wake, Never>) {
        let early = state.withLockedValue { state -> Wake? in
            guard let slot = state.slots[id] else { return .cancelled }
            switch slot.state {
            case .woken(let wake): return wake
            case .parked: return .cancelled  // cannot happen: one park at a time per poll
            case .armed:
                state.slots[id]!.state = .parked(continuation)
                state.parked += 1
                parkedChanged(1)
                return nil
            }
        }
        if let early { continuation.resume(returning: early) }
    }

    private func wake(_ id: UInt64, _ wake: Wake) {
        let continuation = state.withLockedValue { Self.wake(id, wake, &$0, parkedChanged) }
        continuation?.resume(returning: wake)
    }

    /// Marks a slot woken; returns its continuation to resume (outside the lock) if it was parked.
    private static func wake(
        _ id: UInt64, _ wake: Wake, _ state: inout State, _ parkedChanged: @Sendable (Int) -> Void
    ) -> CheckedContinuation<Wake, Never>? {
        guard let slot = state.slots[id] else { return nil }
        switch slot.state {
        case .woken: return nil
        case .armed:
            state.slots[id]!.state = .woken(wake)
            return nil
        case .parked(let continuation):
            state.slots[id]!.state = .woken(wake)
            state.parked -= 1
            parkedChanged(-1)
            return continuation
        }
    }

    /// Looks up the latest position of every corpus with registered polls and wakes those
    /// behind it (see the type's documentation). The change feed calls it when it (re)connects.
    func recheck() async {
        let corpora = state.withLockedValue { Array($0.byCorpus.keys) }
        for corpusID in corpora {
            do {
                notify(corpusID: corpusID, position: try await latestPosition(corpusID))
            } catch {
                logger.warning("long polls: cannot re-check the latest position of corpus \(corpusID): \(error)")
            }
        }
    }

    /// Runs ``recheck()`` at the interval while any poll is registered; ends when none is.
    private func recheckLoop() async {
        var last = ContinuousClock.now
        while true {
            try? await Task.sleep(for: .seconds(1))
            let due = state.withLockedValue { state -> Bool? in
                guard !state.slots.isEmpty else {
                    state.rechecking = false
                    return nil
                }
                return ContinuousClock.now - last >= (state.feedIsLive ? Self.recheckWithFeed : Self.recheckWithoutFeed)
            }
            guard let due else { return }
            if due {
                await recheck()
                last = ContinuousClock.now
            }
        }
    }
}
