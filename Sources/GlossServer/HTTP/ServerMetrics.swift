import Metrics
import CoreMetrics
public import Prometheus

/// The server's metrics, registered in one Prometheus registry that `GET /metrics`
/// serves as text. Made through swift-metrics with an explicit factory, so several
/// servers (in tests) never share a global metrics system.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let changesStored: CoreMetrics.Counter
    let changesDuplicate: CoreMetrics.Counter
    let changesPulled: CoreMetrics.Counter
    let pulls: CoreMetrics.Counter
    let pushes: CoreMetrics.Counter
    let concurrentVersions: CoreMetrics.Counter
    /// Long polls parked now, waiting for a change (a gauge).
    let longPollsWaiting: CoreMetrics.Meter
    /// Snapshots built by this server (`serve --snapshot-every`), and builds that failed.
    let snapshotsBuilt: CoreMetrics.Counter
    let snapshotFailures: CoreMetrics.Counter
    /// How long each snapshot build took.
    let snapshotBuildDuration: CoreMetrics.Timer
    /// Snapshot bytes sent (full and ranged downloads).
    let snapshotBytesServed: CoreMetrics.Counter
    /// Compactions that ran (`serve --compact-every`), and the changes they dropped.
    let compactions: CoreMetrics.Counter
    let compactionDropped: CoreMetrics.Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        factory = PrometheusMetricsFactory(registry: registry)
        changesStored = CoreMetrics.Counter(label: "gloss_changes_stored_total", factory: factory)
        changesDuplicate = CoreMetrics.Counter(label: "gloss_changes_duplicate_total", factory: factory)
        changesPulled = CoreMetrics.Counter(label: "gloss_changes_pulled_total", factory: factory)
        pulls = CoreMetrics.Counter(label: "gloss_pulls_total", factory: factory)
        pushes = CoreMetrics.Counter(label: "gloss_pushes_total", factory: factory)
        concurrentVersions = CoreMetrics.Counter(label: "gloss_conflicts_total", factory: factory)
        longPollsWaiting = CoreMetrics.Meter(label: "gloss_long_polls_waiting", factory: factory)
        longPollsWaiting.set(0)  // shown from the start, not only after the first poll
        snapshotsBuilt = CoreMetrics.Counter(label: "gloss_snapshots_built_total", factory: factory)
        snapshotFailures = CoreMetrics.Counter(label: "gloss_snapshot_build_failures_total", factory: factory)
        snapshotBuildDuration = CoreMetrics.Timer(label: "gloss_snapshot_build_duration_seconds", factory: factory)
        snapshotBytesServed = CoreMetrics.Counter(label: "gloss_snapshot_bytes_served_total", factory: factory)
        compactions = CoreMetrics.Counter(label: "gloss_compactions_total", factory: factory)
        compactionDropped = CoreMetrics.Counter(label: "gloss_compaction_dropped_changes_total", factory: factory)
        compactionDropped.increment(by: 0)  // shown from the start, as 0
    }

    /// Counts one request by route and status, and times it.
    func request(route: String, method: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(
            label: "gloss_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
        CoreMetrics.Timer(label: "gloss_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func recordPush(_ result: PushResult) {
        pushes.increment()
        changesStored.increment(by: Int64(result.stored))
        changesDuplicate.increment(by: Int64(result.duplicates))
        concurrentVersions.increment(by: Int64(result.concurrent))
    }

    func recordPull(changes: Int) {
        pulls.increment()
        changesPulled.increment(by: Int64(changes))
    }

    /// A snapshot was built in `duration`.
    func recordSnapshot(duration: Duration) {
        snapshotsBuilt.increment()
        snapshotBuildDuration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func recordSnapshotFailure() { snapshotFailures.increment() }

    /// A compaction of one corpus: counted when it ran, with what it dropped.
    func recordCompaction(_ report: CompactionReport) {
        guard report.ran else { return }
        compactions.increment()
        compactionDropped.increment(by: Int64(report.dropped))
    }

    func recordSnapshotBytes(_ count: Int) { snapshotBytesServed.increment(by: Int64(count)) }

    /// A long poll parked (+1) or woke (-1).
    func longPollsParked(_ delta: Int) {
        if delta > 0 { longPollsWaiting.increment(by: Double(delta)) } else { longPollsWaiting.decrement(by: Double(-delta)) }
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
