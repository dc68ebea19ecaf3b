public import GlossStore
import Foundation

/// Syncing a replica from an app: one actor per replica, with async, cancellable syncs,
/// their progress, and a live mode.
///
/// ```swift
/// let session = SyncSession(store: store) { remote in URLSessionTransport(baseURL: remote.url) }
/// let report = try await session.sync()          // push, then pull; cancellable
/// for try await event in session.live() { … }    // stays in sync until the loop ends
/// ```
///
/// The engine's blocking work (SQLite, the transport's I/O) runs on threads of its own,
/// never on Swift's cooperative pool. Syncs of one session run one at a time: a second
/// ``sync(full:)`` waits for the first. Cancelling the awaiting task aborts the transfer
/// in flight; what was applied stays applied (each page and its cursor commit together)
/// and the next sync resumes.
public actor SyncSession {
    /// Makes a transport for the remote; called once per sync (live mode makes two: one
    /// long-polls while the other pushes).
    public typealias TransportFactory = @Sendable (RemoteState) throws(TransportError) -> any Transport

    let store: GlossDatabase
    let options: SyncOptions
    let tokens: any TokenStore
    let makeTransport: TransportFactory
    private let progressHub = ProgressHub()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// - Parameters:
    ///   - store: the replica; its remote (``GlossDatabase/remote()``) says where to sync.
    ///   - options: batch and page sizes, retries and backoff (its `progress` and
    ///     `cancellation` are the session's own).
    ///   - tokens: where the bearer token is kept; by default, in the replica.
    ///   - makeTransport: the HTTP stack for the remote.
    public init(
        store: GlossDatabase, options: SyncOptions = SyncOptions(), tokens: (any TokenStore)? = nil,
        makeTransport: @escaping TransportFactory
    ) {
        self.store = store
        self.options = options
        self.tokens = tokens ?? ReplicaTokenStore(store: store)
        self.makeTransport = makeTransport
    }

    /// Every report of the syncs that run while it is iterated: after each pushed batch
    /// and pulled page, with how much is done and what remains (``SyncReport/toPush``,
    /// ``SyncReport/pullEnd``). It ends when the iterating task is cancelled.
    public nonisolated func progress() -> AsyncStream<SyncReport> {
        progressHub.subscribe()
    }

    /// Pushes everything unpushed, then pulls until nothing remains.
    /// - Parameter full: pushes and pulls everything again from the start (nothing is
    ///   duplicated; it repairs a replica whose server lost data).
    public func sync(full: Bool = false) async throws(SyncError) -> SyncReport {
        await acquire()
        defer { release() }
        let engine = try makeEngine(wait: 0, cancellation: SyncCancellation())
        if full {
            do {
                try store.startOver()
            } catch {
                throw .store(error as? StoreError ?? .databaseFailed(reason: "\(error)"))
            }
        }
        return try await Self.run(engine) { engine throws(SyncError) in try engine.run() }
    }

    /// What live mode reports.
    public enum LiveEvent: Sendable {
        /// A push or pull that moved changes (and the first, complete sync).
        case synced(SyncReport)
        /// The server is unreachable or failing; live mode tries again after `delay` seconds.
        case retrying(SyncError, delay: Double)
    }

    /// Stays in sync until the iterating task stops: one complete sync, then a long poll
    /// kept open for the server's changes while local commits are pushed as they happen
    /// (the store is checked for new local changes every `checkEvery` seconds, so an edit
    /// reaches the server within about that, whatever the long poll is doing).
    ///
    /// Transient failures (server down or failing) are reported as ``LiveEvent/retrying(_:delay:)``
    /// and retried with exponential backoff up to a minute; any other failure ends the
    /// sequence with that error. Ending the loop stops both directions at once.
    /// - Parameters:
    ///   - wait: seconds each long poll waits on the server (at most 60).
    ///   - checkEvery: seconds between checks for local changes to push.
    public nonisolated func live(wait: Int = 25, checkEvery: Double = 0.2) -> AsyncThrowingStream<LiveEvent, any Error> {
        AsyncThrowingStream { continuation in
            let cancellation = SyncCancellation()
            let task = Task {
                do {
                    try await self.runLive(wait: wait, checkEvery: checkEvery, cancellation: cancellation) { event in
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                cancellation.cancel()
                task.cancel()
            }
        }
    }

    private func runLive(
        wait: Int, checkEvery: Double, cancellation: SyncCancellation, emit: @escaping @Sendable (LiveEvent) -> Void
    ) async throws(SyncError) {
        await acquire()
        defer { release() }
        // One complete sync first, retried like every round while the server is down.
        nonisolated(unsafe) let first = try makeEngine(wait: 0, cancellation: cancellation)
        let firstDone = SyncCancellation()
        let started = await Self.runLoop(cancellation: cancellation, emit: emit) { () throws(SyncError) -> SyncReport? in
            let report = try first.run()
            firstDone.cancel()
            emit(.synced(report))
            // Ends the loop: the live loops take over.
            throw .cancelled
        }
        if case .failure(let error) = started { throw error }
        guard firstDone.isCancelled else { return }
        // Each engine (and its transport) is used by its one loop's thread only.
        nonisolated(unsafe) let puller = try makeEngine(wait: wait, cancellation: cancellation)
        nonisolated(unsafe) let pusher = try makeEngine(wait: 0, cancellation: cancellation)
        let store = store
        // Two loops on threads of their own: the long poll, and the pushes of local commits.
        async let pulling: Result<Void, SyncError> = Self.runLoop(cancellation: cancellation, emit: emit) { () throws(SyncError) -> SyncReport? in
            let report = try puller.runPull()
            // A poll that came back at once with nothing (a server that does not hold long
            // polls, or one passing over this replica's own push) is not repeated at once.
            if report.pulled == 0, report.seconds < 0.25, !cancellation.sleep(seconds: 0.25) { throw .cancelled }
            return report.pulled > 0 ? report : nil
        }
        async let pushing: Result<Void, SyncError> = Self.runLoop(cancellation: cancellation, emit: emit) { () throws(SyncError) -> SyncReport? in
            var pending = (try? store.unpushedCount()) ?? 0
            while pending == 0 {
                guard cancellation.sleep(seconds: checkEvery) else { throw .cancelled }
                pending = (try? store.unpushedCount()) ?? 0
            }
            let report = try pusher.runPush()
            return report.pushed > 0 ? report : nil
        }
        let outcomes = await [pulling, pushing]
        for case .failure(let error) in outcomes where error != .cancelled { throw error }
    }

    /// Repeats `round` on a thread of its own until cancelled or a failure that is not
    /// transient; reports what moved and backs off on transient failures.
    private static func runLoop(
        cancellation: SyncCancellation, emit: @escaping @Sendable (LiveEvent) -> Void,
        round: @escaping @Sendable () throws(SyncError) -> SyncReport?
    ) async -> Result<Void, SyncError> {
        await onThread { () -> Result<Void, SyncError> in
            var delay = 1.0
            while !cancellation.isCancelled {
                do throws(SyncError) {
                    if let report = try round() { emit(.synced(report)) }
                    delay = 1
                } catch {
                    if error == .cancelled { break }
                    guard error.isTransient else {
                        // One side failing for good stops the other too.
                        cancellation.cancel()
                        return .failure(error)
                    }
                    emit(.retrying(error, delay: delay))
                    guard cancellation.sleep(seconds: delay) else { break }
                    delay = min(delay * 2, 60)
                }
            }
            return .success(())
        }
    }

    private func makeEngine(wait: Int, cancellation: SyncCancellation) throws(SyncError) -> sending SyncEngine {
        let configured: RemoteState?
        do {
            configured = try store.remote()
        } catch {
            throw .store(error as? StoreError ?? .databaseFailed(reason: "\(error)"))
        }
        guard var remote = configured else { throw .noRemote }
        let token: String?
        do {
            token = try tokens.token(url: remote.url, corpus: remote.corpus)
        } catch {
            throw .tokenUnavailable(reason: "\(error)")
        }
        guard let token, !token.isEmpty else { throw .noToken(url: remote.url, corpus: remote.corpus) }
        remote.token = token
        let transport: any Transport
        do {
            transport = try makeTransport(remote)
        } catch {
            throw .unreachable(url: remote.url, reason: error.description)
        }
        var options = options
        options.wait = wait
        options.cancellation = cancellation
        let hub = progressHub
        let caller = self.options.progress
        options.progress = { report in
            hub.publish(report)
            caller?(report)
        }
        return SyncEngine(store: store, transport: transport, remote: remote, options: options)
    }

    /// Runs the engine on a thread of its own; cancelling the awaiting task cancels it.
    private static func run(
        _ engine: sending SyncEngine, _ body: @escaping @Sendable (SyncEngine) throws(SyncError) -> SyncReport
    ) async throws(SyncError) -> SyncReport {
        let cancellation = engine.options.cancellation
        nonisolated(unsafe) let engine = engine
        let result = await withTaskCancellationHandler {
            await onThread { () -> Result<SyncReport, SyncError> in
                Result { () throws(SyncError) -> SyncReport in try body(engine) }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    /// Runs blocking work on a new thread and returns its result to async code.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = "gloss-sync"
            thread.start()
        }
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Hands every report to each current subscriber of ``SyncSession/progress()``.
final class ProgressHub: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<SyncReport>.Continuation] = [:]

    func subscribe() -> AsyncStream<SyncReport> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let id = UUID()
            lock.lock()
            subscribers[id] = continuation
            lock.unlock()
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.lock()
                self.subscribers[id] = nil
                self.lock.unlock()
            }
        }
    }

    func publish(_ report: SyncReport) {
        lock.lock()
        let current = Array(subscribers.values)
        lock.unlock()
        for continuation in current { continuation.yield(report) }
    }
}
