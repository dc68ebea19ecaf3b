import Foundation
import GlossCore
import GlossServer

extension Simulation {
    /// The most replicas a run grows to by adding devices.
    static let maxReplicas = 6

    /// A user's new device joins: sometimes the server first builds a snapshot of the
    /// corpus as it is (so the snapshot a device finds may be as new as the corpus, older,
    /// or absent), then the new, empty replica's first sync goes through the faulty network,
    /// which may cut the download (the client resumes it) or damage it (the client must
    /// refuse it and replay). Whatever it does, the run's final checks hold it to converge
    /// with every replica that replayed the log.
    func newDevice(prefix: String) {
        if random.chance(0.6) {
            let storage = server.storage
            let pageSize = random.int(1...7)
            do {
                let outcome = try runBlocking {
                    try await SnapshotMaker.build(storage: storage, corpus: SimulatedServer.corpus, pageSize: pageSize, logger: nil)
                }
                trace("\(prefix) snapshot \(outcome.built ? "built" : "kept") at \(outcome.snapshot.position)")
            } catch {
                return fail("\(prefix) the snapshot build failed: \(error)")
            }
        }
        guard replicas.count < Self.maxReplicas else { return trace("\(prefix) new device: \(replicas.count) replicas already") }
        let index = replicas.count
        let user = random.pick(["ayse", "bora", "cem"])
        let id = ReplicaID(high: random.next(), low: random.next())
        let clock = ReplicaClock(world: world, skew: Int64(random.int(-60_000...60_000)))
        do {
            replicas.append(
                try SimulatedReplica(index: index, directory: directory, id: id, user: user, token: server.tokens[user]!, clock: clock))
        } catch {
            return fail("\(prefix) cannot make a new replica: \(error)")
        }
        sync(replicas[index], prefix: "\(prefix) r\(index) (new device of \(user))")
    }
}
