import Foundation
import GlossCore
import GlossServer
import GlossStore

extension Simulation {
    /// The server compacts the corpus below its horizon (what every active replica has
    /// seen), as `gloss-server compact` or `serve --compact-every` does; what it dropped is
    /// recorded, so the final checks allow it to be missing from the server and to stay on
    /// replicas that have not compacted. Replicas behind the floor it sets are refused from
    /// then on and rebuild themselves.
    func compactServer(prefix: String) {
        // A debugging aid: does a failing compaction run fail without its compactions too?
        if ProcessInfo.processInfo.environment["GLOSS_SIM_NOCOMPACT"] != nil { return trace("\(prefix) (compaction skipped)") }
        let (storage, bookkeeping) = (server.storage, server.bookkeeping)
        do {
            let before = try server.log()
            let report = try runBlocking {
                // What the replicas' pulls said they have seen, as serve writes it every second.
                await bookkeeping.flush()
                return try await storage.compact(corpus: SimulatedServer.corpus)
            }
            let after = Set(try server.log().map(\.dot))
            let dropped = before.filter { !after.contains($0.dot) }
            history.compacted(dropped)
            network.counts.serverDropped += dropped.count
            if !after.isSubset(of: Set(before.map(\.dot))) { fail("\(prefix) the server's compaction added changes") }
            trace("\(prefix) server compaction: horizon \(report.horizon), floor \(report.floorAfter), dropped \(report.dropped)")
            for problem in try server.check() { fail("\(prefix) after the server's compaction: \(problem)") }
        } catch {
            fail("\(prefix) the server's compaction failed: \(error)")
        }
    }

    /// A replica compacts its own log below the floor the server last reported; nothing it
    /// shows may change.
    func compactReplica(_ replica: SimulatedReplica, prefix: String) {
        do {
            guard case .document(let before) = try replica.store.export(.json) else { return fail("\(prefix) json export is not a document") }
            let outcome = try replica.store.compact(reclaimingSpace: random.chance(0.3))
            guard case .document(let after) = try replica.store.export(.json) else { return fail("\(prefix) json export is not a document") }
            if after != before { fail("\(prefix) r\(replica.index)'s compaction changed what it shows: " + Invariants.firstDifference(before, after)) }
            switch outcome {
            case .compacted(let record):
                network.counts.replicaDropped += record.dropped
                trace("\(prefix) r\(replica.index) compaction: dropped \(record.dropped) below \(record.floor)")
            case .nothingStable(let reason): trace("\(prefix) r\(replica.index) compaction: nothing stable (\(reason))")
            }
            let doctor = try replica.store.doctor()
            if !doctor.isHealthy { fail("\(prefix) r\(replica.index) after its compaction: doctor: \(doctor.problems.prefix(5))") }
        } catch {
            fail("\(prefix) r\(replica.index)'s compaction failed: \(error)")
        }
    }

    /// The server retires a replica (a lost device, or silence past `--retire-after`): the
    /// horizon moves on without it, and once a compaction passes its cursor it is refused.
    func retire(_ replica: SimulatedReplica, prefix: String) {
        let (storage, bookkeeping) = (server.storage, server.bookkeeping)
        let id = replica.id.description
        do {
            try runBlocking {
                await bookkeeping.flush()
                _ = try await storage.retireReplica(corpus: SimulatedServer.corpus, replica: id)
            }
            trace("\(prefix) retire r\(replica.index)")
        } catch StorageError.unknownReplica {
            trace("\(prefix) retire r\(replica.index): the server has never seen it")
        } catch {
            fail("\(prefix) retiring r\(replica.index) failed: \(error)")
        }
    }
}
