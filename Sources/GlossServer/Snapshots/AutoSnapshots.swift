import Foundation
public import Logging
import NIOConcurrencyHelpers

/// Builds a corpus's snapshot in the background once it has grown by `every` changes since
/// its latest snapshot (`gloss-server serve --snapshot-every N`).
///
/// Pushes report the corpus's new position; a build starts when the position is `every`
/// or more past the snapshot's (as last seen here, then checked against the storage), at
/// most one per corpus at a time in this process, and across processes through the
/// storage's build lock (a corpus another server is building is skipped).
public final class AutoSnapshots: Sendable {
    let storage: any Storage
    /// Changes since the latest snapshot that start a new one (at least 1).
    public let every: Int64
    let metrics: ServerMetrics
    let logger: Logger
    private struct State {
        /// The latest snapshot position seen per corpus id.
        var positions: [Int64: Int64] = [:]
        /// Corpora with a build running in this process.
        var building: Set<Int64> = []
        var tasks: [Int64: Task<Void, Never>] = [:]
    }
    private let state = NIOLockedValueBox(State())

    public init(storage: any Storage, every: Int64, metrics: ServerMetrics, logger: Logger) {
        self.storage = storage
        self.every = max(1, every)
        self.metrics = metrics
        self.logger = logger
    }

    /// A push stored changes in `corpus` up to `position`.
    public func pushed(corpusID: Int64, corpus: String, position: Int64) {
        state.withLockedValue { state in
            guard !state.building.contains(corpusID) else { return }
            if let known = state.positions[corpusID], position - known < every { return }
            state.building.insert(corpusID)
            // Its last step waits for this lock, so it is registered before it can finish.
            state.tasks[corpusID] = Task.detached(priority: .utility) { [self] in
                await self.run(corpusID: corpusID, corpus: corpus, position: position)
                self.state.withLockedValue { state in
                    state.building.remove(corpusID)
                    state.tasks.removeValue(forKey: corpusID)
                }
            }
        }
    }

    private func run(corpusID: Int64, corpus: String, position: Int64) async {
        do {
            let latest = try await storage.latestSnapshot(corpusID: corpusID)?.position ?? 0
            state.withLockedValue { $0.positions[corpusID] = latest }
            guard position - latest >= every else { return }
            logger.info("snapshot: building", metadata: ["corpus": "\(corpus)", "since": "\(position - latest)"])
            let outcome = try await SnapshotMaker.build(storage: storage, corpus: corpus, logger: logger)
            state.withLockedValue { $0.positions[corpusID] = outcome.snapshot.position }
            if outcome.built { metrics.recordSnapshot(duration: outcome.duration) }
        } catch SnapshotMaker.Failure.busy {
            logger.debug("snapshot: another build of the corpus runs", metadata: ["corpus": "\(corpus)"])
        } catch {
            metrics.recordSnapshotFailure()
            logger.error("snapshot: build failed", metadata: ["corpus": "\(corpus)", "error": "\(error)"])
        }
    }

    /// The corpus's snapshot was deleted (a compaction passed it): the next push looks at the
    /// corpus afresh and builds a new one if it holds `every` changes or more.
    public func snapshotDeleted(corpusID: Int64) {
        _ = state.withLockedValue { $0.positions.removeValue(forKey: corpusID) }
    }

    /// Waits for the builds running now (tests; a stopping server).
    public func waitForBuilds() async {
        while true {
            let tasks = state.withLockedValue { Array($0.tasks.values) }
            guard !tasks.isEmpty else { return }
            for task in tasks { await task.value }
        }
    }
}
