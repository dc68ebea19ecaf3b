public import GlossCore
public import GlossStore
import Foundation

/// What one sync did.
public struct SyncReport: Sendable, Hashable {
    /// Local changes the server newly stored in this sync.
    public var pushed = 0
    /// Changes received from the server (never this replica's own: the pull leaves them out).
    public var pulled = 0
    /// Pulled changes that were new here and changed an entity.
    public var applied = 0
    /// Entities that became conflicted.
    public var newConflicts = 0
    /// HTTP requests sent (retries included).
    public var requests = 0
    /// Whether the pull started over from position 0 because the server's epoch changed
    /// (it was restored from a backup).
    public var restarted = false
    public var seconds = 0.0
    /// Local changes waiting to be pushed when the sync started.
    public var toPush = 0
    /// Where the pull started, stands now, and (as far as the server said) ends: its
    /// positions count every change of the corpus, this replica's own included.
    public var pullStart: Int64 = 0
    public var pullCursor: Int64 = 0
    public var pullEnd: Int64?
    /// Whether this sync started from the server's snapshot; `nil` when it did not look
    /// for one (the replica held data, or ``SyncOptions/useSnapshot`` was off).
    public var snapshot: SnapshotReport?
    /// Set when this sync rebuilt the replica from the server's current state, because the
    /// server had compacted its history past what the replica had pulled.
    public var rebuild: RebuildReport?
    /// What compacting the replica after the sync did (``SyncOptions/compactAfterSync``).
    public var compaction: CompactionOutcome?

    public init() {}

    /// `pushed 3, pulled 5 (4 new), 1 new conflict in 0.21s`
    public var summary: String {
        let conflicts = newConflicts == 1 ? "1 new conflict" : "\(newConflicts) new conflicts"
        return "pushed \(pushed), pulled \(pulled) (\(applied) new), \(conflicts) in \(PlainFormat.fixed(seconds, digits: 2))s"
    }
}

/// How a replica was rebuilt (docs/protocol.md, "Compaction and the floor").
public struct RebuildReport: Sendable, Hashable {
    /// Why: the server's refusal.
    public var reason: String
    /// The replica's id before the rebuild (`nil` when this sync finished a rebuild an
    /// earlier, interrupted sync began) and after it.
    public var previousReplica: ReplicaID?
    public var replica: ReplicaID?
    /// Entities whose unacknowledged changes were carried over.
    public var carried = 0
    /// What making them again on top of the current state did; `nil` until it has.
    public var outcome: RebuildOutcome?

    public init(reason: String) { self.reason = reason }

    /// `rebuilt from the server's current state (...); 3 local changes made again, 1 beside a concurrent deletion or edit`
    public var summary: String {
        var line = "rebuilt from the server's current state (it had compacted history this replica had not pulled)"
        guard let outcome else { return line }
        line += "; \(outcome.madeAgain) local change\(outcome.madeAgain == 1 ? "" : "s") made again"
        if outcome.besideConcurrent > 0 { line += ", \(outcome.besideConcurrent) beside a concurrent deletion or edit (a conflict to resolve)" }
        if outcome.withConflicts > 0 { line += ", \(outcome.withConflicts) merged with field conflicts to resolve" }
        return line
    }
}

/// How a sync runs.
public struct SyncOptions: Sendable {
    /// Changes per pushed batch and about how many bytes.
    public var batchSize = 1_000
    public var batchBytes = 1024 * 1024
    /// Changes per pulled page.
    public var pageSize = 1_000
    /// Attempts for a request that fails transiently (refused, timed out, 5xx).
    public var attempts = 6
    /// First backoff delay in seconds; each retry doubles it.
    public var backoff = 0.2
    /// Long-poll: seconds the last pull may wait for new changes (0: none).
    public var wait = 0
    /// Whether an empty replica's first sync starts from the server's snapshot (when it
    /// has one) instead of replaying the whole log; the result is the same.
    public var useSnapshot = true
    /// Whether a complete sync ends by compacting the replica's log below the server's
    /// floor (``GlossDatabase/compact(reclaimingSpace:)``, without rewriting the file: the
    /// freed pages are reused).
    public var compactAfterSync = false
    /// Called after each batch or page with the running report.
    public var progress: (@Sendable (SyncReport) -> Void)?
    /// Stops the sync between requests and aborts a transfer in flight.
    public var cancellation = SyncCancellation()

    public init() {}
}

/// Push everything unpushed in batches, then pull pages until none remain.
///
/// Each pulled page and its cursor are saved in one transaction, and the pushed mark
/// moves only when the server acknowledges; an interrupted or cancelled sync resumes
/// where it stopped and nothing is duplicated (the server and the replica each keep a
/// dot once).
///
/// The engine blocks the thread that runs it (SQLite work and the transport's I/O);
/// apps use it through ``SyncSession``, which runs it on a thread of its own.
public final class SyncEngine {
    let store: GlossDatabase
    let transport: any Transport
    let remote: RemoteState
    let options: SyncOptions
    var report = SyncReport()

    public init(store: GlossDatabase, transport: any Transport, remote: RemoteState, options: SyncOptions = SyncOptions()) {
        self.store = store
        self.transport = transport
        self.remote = remote
        self.options = options
    }

    var changesPath: String { WireRoute.changesPath(remote.corpus) }

    var headers: [(name: String, value: String)] { GlossProtocol.requestHeaders(token: remote.token) }

    /// Runs one sync: push, then pull.
    public func run() throws(SyncError) -> SyncReport {
        try recorded { () throws in
            try rebuildingWhenRefused {
                try bootstrapFromSnapshot()
                try push()
                try pullAll()
            }
            if options.compactAfterSync { report.compaction = try store.compact(reclaimingSpace: false) }
        }
    }

    /// Only pushes what is unpushed (live mode pushes a local edit while a long poll is open).
    public func runPush() throws(SyncError) -> SyncReport {
        try recorded { () throws in try rebuildingWhenRefused { try push() } }
    }

    /// Only pulls (live mode's long poll).
    public func runPull() throws(SyncError) -> SyncReport {
        try recorded { () throws in try rebuildingWhenRefused { try pullAll() } }
    }

    /// Runs `work`; when the server refuses the replica as behind its compaction floor,
    /// rebuilds it from the server's current state, keeping its unacknowledged changes, and
    /// runs `work` again. A rebuild an interrupted sync began is finished first.
    private func rebuildingWhenRefused(_ work: () throws -> Void) throws {
        var rebuilds = 0
        while true {
            do {
                if try store.rebuildPending() { try finishRebuild() }
                try work()
                return
            } catch SyncError.resyncRequired(let reason) {
                // The floor can move again while the replica pulls; each rebuild starts from
                // a later state, so this ends unless the server compacts without pause.
                rebuilds += 1
                guard rebuilds <= 3 else { throw SyncError.resyncRequired(reason) }
                let start = try store.beginRebuild()
                var rebuild = RebuildReport(reason: reason)
                rebuild.previousReplica = report.rebuild?.previousReplica ?? start.previousReplica
                rebuild.replica = start.replica
                rebuild.carried = start.carriedEntities
                // Nothing carried: the emptied replica is an ordinary new one, the snapshot included.
                if start.carriedEntities == 0 { rebuild.outcome = RebuildOutcome() }
                report.rebuild = rebuild
                options.progress?(report)
            }
        }
    }

    /// Pulls the server's current state into the emptied replica (from the snapshot when
    /// nothing was carried), makes the carried changes again on top of it and pushes them.
    private func finishRebuild() throws {
        if report.rebuild == nil {
            report.rebuild = RebuildReport(reason: "an earlier sync began rebuilding this replica")
            report.rebuild?.replica = try store.replicaInfo().id
        }
        try bootstrapFromSnapshot()
        try pullAll()
        report.rebuild?.outcome = try store.finishRebuild()
        try push()
    }

    /// Runs `work`, timing it and recording its outcome in the replica.
    private func recorded(_ work: () throws -> Void) throws(SyncError) -> SyncReport {
        let start = Date()
        report = SyncReport()
        do {
            report.toPush = try store.unpushedCount()
            try work()
        } catch let error as SyncError {
            report.seconds = Date().timeIntervalSince(start)
            if error != .cancelled { try? store.recordSyncResult("failed: \(error)") }
            throw error
        } catch let error as StoreError {
            try? store.recordSyncResult("failed: \(error)")
            throw .store(error)
        } catch {
            try? store.recordSyncResult("failed: \(error)")
            throw .store(.databaseFailed(reason: "\(error)"))
        }
        report.seconds = Date().timeIntervalSince(start)
        try? store.recordSyncResult("ok: " + report.summary)
        return report
    }

    /// Pulls until nothing remains, starting over when the server was restored from a backup.
    private func pullAll() throws {
        do {
            var restarts = 0
            while try pull() == .startedOver {
                // The server was restored from a backup: what it lost of ours goes again,
                // and everything is pulled from the start.
                restarts += 1
                guard restarts <= 3 else { throw SyncError.invalidResponse("the server's epoch keeps changing") }
                report.restarted = true
                try push()
            }
        }
    }

    func push() throws {
        // A server configured with smaller bounds answers 413; halve the batch until it fits.
        var batchSize = options.batchSize
        var batchBytes = options.batchBytes
        while let batch = try store.unpushedBatch(limit: batchSize, maxBytes: batchBytes) {
            // The batch says at which pull position its changes were made; a server that
            // compacted past it answers 410 (see ``rebuildingWhenRefused(_:)``).
            let response = try send(
                HTTPRequest(method: .post, path: changesPath, headers: headers, body: batch.body), requests: &report.requests)
            switch response.status {
            case 200:
                let answer: PushResponse
                do {
                    answer = try PushResponse(bytes: response.body)
                } catch {
                    throw SyncError.invalidResponse("a push answer that is not one: \(error)")
                }
                guard answer.maxSeq >= batch.lastSeq else {
                    throw SyncError.invalidResponse("the server acknowledged seq \(answer.maxSeq), short of \(batch.lastSeq)")
                }
                try store.markPushed(upTo: answer.maxSeq)
                // Count what the server newly stored: after a lost answer a batch comes back as duplicates.
                report.pushed += answer.stored
            case 409:
                // The server expects another seq: it has more of ours than we knew (an
                // answer was lost) or fewer (it was restored from a backup).
                guard let error = ErrorBody(bytes: response.body), error.code == .seqGap, let expected = error.expected else {
                    throw Self.failure(response, corpus: remote.corpus)
                }
                let pushed = try store.remote()?.pushedSeq ?? 0
                if expected - 1 == pushed { throw Self.failure(response, corpus: remote.corpus) }
                try store.rewindPushed(to: expected - 1)
            case 413 where batch.count > 1:
                batchSize = max(1, batch.count / 2)
                batchBytes = max(1, batch.body.count / 2)
            default:
                throw Self.failure(response, corpus: remote.corpus)
            }
            options.progress?(report)
        }
    }

    enum PullOutcome { case done, startedOver }

    /// One pull page as read from the server.
    struct PullPage {
        /// Read and checked on the thread that fetched the page (see ``PreparedChange``).
        var changes: [PreparedChange]
        var cursor: Int64
        var epoch: String
        var more: Bool
        /// The corpus's latest position when the server read the page, if it said.
        var latest: Int64?
        /// The corpus's compaction floor (0: never compacted).
        var floor: Int64 = 0
    }

    /// Pulls pages until none remain; stops early, having started the sync over, when the
    /// server's epoch is not the one the cursor counts in.
    ///
    /// The next page is fetched and parsed on another thread while this one is applied:
    /// the server, the network and JSON parsing then overlap with SQLite instead of
    /// adding to it. At most two pages are held at once.
    func pull() throws -> PullOutcome {
        let state = try store.remote()
        var known = state?.epoch
        // The replica holds its own changes already: the server passes over them.
        let own = try store.replicaInfo().id
        var requests = 0
        report.pullStart = state?.cursor ?? 0
        report.pullCursor = report.pullStart
        // The first request names the epoch of a cursor this replica holds durably, so the
        // server records the cursor as seen, but only with nothing left to push: then every
        // change this replica will still push is made after it held everything up to the
        // cursor and supersedes what it replaces there, so history up to the lowest such
        // cursor is stable (docs/protocol.md, "Who has seen what"). The next pages are
        // fetched before the one before is applied, so they never name it.
        let recordable = try store.unpushedCount() == 0 ? known : nil
        // What the server had acknowledged before this pull: at its end those changes are at
        // or below its cursor (which passes over this replica's own), as is everything pulled.
        let acknowledged = state?.pushedSeq ?? 0
        var page = try fetchPage(after: state?.cursor ?? 0, excluding: own, epoch: recordable, requests: &requests)
        report.requests += requests
        while true {
            if let known, known != page.epoch {
                // The server's positions were restored from a backup and may since have
                // been taken by other changes: the cursor means nothing any more.
                try store.startOver()
                return .startedOver
            }
            let next = page.more ? Background { [cursor = page.cursor] in
                var requests = 0
                let page = try self.fetchPage(after: cursor, excluding: own, requests: &requests)
                return (page, requests)
            } : nil
            let summary: ApplySummary
            do {
                summary = try store.applyPulledPage(page.changes, cursor: page.cursor, epoch: page.epoch, floor: page.floor)
            } catch {
                // The transport is not left in use by a fetch nobody waits for.
                _ = try? next?.value()
                guard let error = error as? StoreError else { throw error }
                // A change the replica refuses (forged, invalid, or lying about a known dot)
                // is the server's fault; nothing of the page was applied.
                throw SyncError.invalidResponse("\(error)")
            }
            known = page.epoch
            report.pullCursor = page.cursor
            if let latest = page.latest { report.pullEnd = max(latest, page.cursor) }
            report.pulled += page.changes.count
            report.applied += summary.applied
            report.newConflicts += summary.newConflicts
            options.progress?(report)
            guard let next else {
                // The mark client compaction goes by.
                try store.recordServerMark(cursor: page.cursor, acknowledgedSeq: acknowledged)
                return .done
            }
            let fetched = try next.value()
            report.requests += fetched.1
            page = fetched.0
        }
    }

    /// Fetches and reads the page after `cursor`.
    private func fetchPage(after cursor: Int64, excluding own: ReplicaID, epoch: String? = nil, requests: inout Int) throws -> PullPage {
        let query = PullQuery(after: cursor, limit: options.pageSize, wait: options.wait, excluding: own, epoch: epoch)
        let response = try send(HTTPRequest(method: .get, path: changesPath + query.queryString, headers: headers), requests: &requests)
        guard response.status == 200 else { throw Self.failure(response, corpus: remote.corpus) }
        return try Self.parsePage(response.body, after: cursor, limit: options.pageSize)
    }

    /// Reads a pull page, refusing anything malformed before a byte of it is applied.
    static func parsePage(_ body: [UInt8], after: Int64, limit: Int) throws -> PullPage {
        let page: PullResponse
        do {
            page = try PullResponse(bytes: body)
        } catch {
            throw SyncError.invalidResponse("a pull page that is not one: \(error)")
        }
        let (list, cursor, epoch, more) = (page.changes, page.cursor, page.epoch, page.more)
        guard cursor >= after else { throw SyncError.invalidResponse("the cursor went backwards, from \(after) to \(cursor)") }
        guard cursor > after || list.isEmpty else { throw SyncError.invalidResponse("changes without a cursor moving forwards") }
        guard cursor > after || !more else { throw SyncError.invalidResponse("an empty page that says more changes remain") }
        // Positions are distinct and increasing, so a page of n changes moves the cursor by at least n.
        guard cursor - after >= Int64(list.count) else {
            throw SyncError.invalidResponse("\(list.count) changes in a page whose cursor moved by \(cursor - after)")
        }
        guard list.count <= limit else { throw SyncError.invalidResponse("a page of \(list.count) changes, more than the \(limit) asked for") }
        var changes: [PreparedChange] = []
        changes.reserveCapacity(list.count)
        for item in list {
            do {
                // A change the replica refuses (forged, invalid) is the server's fault.
                changes.append(try PreparedChange(Change(json: item)))
            } catch {
                throw SyncError.invalidResponse("\(error)")
            }
        }
        return PullPage(changes: changes, cursor: cursor, epoch: epoch, more: more, latest: page.latest, floor: page.floor)
    }

    /// Sends a request, retrying transient failures with exponential backoff.
    /// - Parameter requests: counts every attempt.
    func send(_ request: HTTPRequest, requests: inout Int) throws(SyncError) -> HTTPResponse {
        var delay = options.backoff
        var lastStatus = 0
        for attempt in 1...options.attempts {
            guard !options.cancellation.isCancelled else { throw .cancelled }
            requests += 1
            do {
                let response = try transport.perform(request, cancellation: options.cancellation)
                guard response.status >= 500 || response.status == 429 else { return response }
                lastStatus = response.status
            } catch {
                switch error {
                case .tls(let reason): throw .tls(reason)
                case .cancelled: throw .cancelled
                case .responseTooLarge: throw .invalidResponse(error.description)
                case let other where !other.isTransient || attempt == options.attempts:
                    throw .unreachable(url: remote.url, reason: other.description)
                default: break
                }
            }
            if attempt < options.attempts {
                guard options.cancellation.sleep(seconds: delay) else { throw .cancelled }
                delay = min(delay * 2, 10)
            }
        }
        throw .serverFailing(status: lastStatus, attempts: options.attempts)
    }

    /// The typed error for a 4xx answer.
    static func failure(_ response: HTTPResponse, corpus: String) -> SyncError {
        let error = ErrorBody(bytes: response.body) ?? ErrorBody(code: "", message: "HTTP \(response.status)")
        switch (response.status, error.code) {
        case (401, _): return .unauthorized(error.message)
        case (404, _): return .corpusNotFound(corpus: corpus)
        case (_, .protocolMismatch): return .protocolMismatch(error.message)
        case (410, .resyncRequired): return .resyncRequired(error.message)
        case (403, _): return .forbidden(error.message)
        default: return .rejected(status: response.status, code: error.code, message: error.message)
        }
    }
}
