public import Foundation
public import GlossCore
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Records who has seen what (``ReplicaProgress``) without a write per request, and
/// retires replicas that stay silent (`serve --retire-after`).
///
/// Pushes and pulls report sightings here; they are merged per replica in memory and
/// written in one transaction every second, and once more when the server stops. A
/// sighting lost to a crash only makes the recorded position older than the truth,
/// which keeps the horizon on the safe side.
public final class ReplicaBookkeeping: Service, Sendable {
    let storage: any Storage
    /// Replicas not seen for this long are retired; `nil` never retires any.
    public let retireAfter: Duration?
    let logger: Logger
    private let pending = NIOLockedValueBox([String: ReplicaSighting]())
    static let flushEvery = Duration.seconds(1)

    public init(storage: any Storage, retireAfter: Duration?, logger: Logger) {
        self.storage = storage
        self.retireAfter = retireAfter
        self.logger = logger
    }

    /// A push or pull of `replica` in the corpus; `pulledPosition` as ``ReplicaSighting`` says.
    public func saw(corpusID: Int64, replica: ReplicaID, user: String, pulledPosition: Int64?) {
        let sighting = ReplicaSighting(
            corpusID: corpusID, replica: replica.description, user: user, pulledPosition: pulledPosition, at: PlainFormat.now())
        let key = "\(corpusID) \(sighting.replica)"
        pending.withLockedValue { pending in
            pending[key] = pending[key].map { $0.merged(with: sighting) } ?? sighting
        }
    }

    /// Drops what was seen of `replica` and not yet written: it is being retired (refused for
    /// being behind the compaction floor), and a sighting written after that would make it
    /// active again.
    public func forget(corpusID: Int64, replica: ReplicaID) {
        _ = pending.withLockedValue { $0.removeValue(forKey: "\(corpusID) \(replica.description)") }
    }

    /// Writes what was seen since the last flush.
    public func flush() async {
        let sightings = pending.withLockedValue { pending in
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        guard !sightings.isEmpty else { return }
        do {
            try await storage.recordSightings(sightings)
        } catch {
            logger.warning("replicas: could not record \(sightings.count) sighting(s): \(error)")
        }
    }

    /// Retires the replicas silent for longer than ``retireAfter``.
    /// - Returns: the replicas retired, with their corpus.
    @discardableResult
    public func retireSilent(now: Date = Date()) async -> [(corpus: String, replica: ReplicaProgress)] {
        guard let retireAfter else { return [] }
        let seconds = Double(retireAfter.components.seconds)
        let cutoff = PlainFormat.iso8601(milliseconds: Int64((now.timeIntervalSince1970 - seconds) * 1_000))
        do {
            let retired = try await storage.retireReplicas(silentSince: cutoff)
            for (corpus, replica) in retired {
                logger.notice(
                    "replicas: retired \(replica.replica) of corpus \(corpus), silent since \(replica.lastSeenAt)")
            }
            return retired
        } catch {
            logger.warning("replicas: could not retire silent replicas: \(error)")
            return []
        }
    }

    /// How often silent replicas are looked for: a tenth of the retention period, between
    /// one second and an hour.
    var retireCheckEvery: Duration {
        guard let retireAfter else { return .seconds(3_600) }
        return min(max(retireAfter / 10, .seconds(1)), .seconds(3_600))
    }

    public func run() async throws {
        var sinceRetireCheck = Duration.zero
        await retireSilent()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: Self.flushEvery)
            await flush()
            sinceRetireCheck += Self.flushEvery
            if sinceRetireCheck >= retireCheckEvery {
                sinceRetireCheck = .zero
                await retireSilent()
            }
        }
        await flush()
    }
}
