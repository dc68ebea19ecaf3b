public import Logging
public import ServiceLifecycle

/// Compacts every corpus once per period while the server runs (`serve --compact-every`),
/// the first time one period after the start.
///
/// Several servers on one PostgreSQL database may all run it: compactions are idempotent,
/// and one that finds another compaction of the corpus running skips it
/// (``CompactionReport/busy``).
public final class AutoCompaction: Service, Sendable {
    let storage: any Storage
    public let every: Duration
    let metrics: ServerMetrics
    let snapshots: AutoSnapshots?
    let logger: Logger

    /// - Parameter snapshots: told when a compaction deletes a corpus's snapshot, so that the
    ///   next push can build a new one.
    public init(storage: any Storage, every: Duration, metrics: ServerMetrics, snapshots: AutoSnapshots?, logger: Logger) {
        self.storage = storage
        self.every = every
        self.metrics = metrics
        self.snapshots = snapshots
        self.logger = logger
    }

    public func run() async throws {
        // A graceful stop cancels the wait and a compaction under way: every compaction step
        // is a transaction, and the next run finishes what this one left.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.every)
                await self.compactAll()
            }
        }
    }

    /// Compacts every corpus once; a failure is logged and the others go on.
    @discardableResult
    public func compactAll() async -> [CompactionReport] {
        let corpora: [Corpus]
        do {
            corpora = try await storage.corpora()
        } catch {
            logger.warning("compaction: cannot list the corpora: \(error)")
            return []
        }
        var reports: [CompactionReport] = []
        for corpus in corpora where !Task.isCancelled {
            do {
                let report = try await storage.compact(corpus: corpus.name)
                reports.append(report)
                metrics.recordCompaction(report)
                if report.snapshotDeleted { snapshots?.snapshotDeleted(corpusID: corpus.id) }
                if report.ran {
                    logger.notice(
                        "compaction: \(report.summary)",
                        metadata: [
                            "corpus": "\(report.corpus)", "floor": "\(report.floorAfter)", "dropped": "\(report.dropped)",
                            "stored": "\(report.storedAfter)",
                        ])
                } else {
                    logger.debug("compaction: \(report.summary)")
                }
            } catch StorageError.unknownCorpus {
                continue  // deleted meanwhile
            } catch {
                logger.warning("compaction: corpus \(corpus.name) failed: \(error)")
            }
        }
        return reports
    }
}
