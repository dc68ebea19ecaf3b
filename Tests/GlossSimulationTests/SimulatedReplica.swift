import Foundation
import GlossCore
import GlossStore
import GlossSync
import GRDB

/// Simulated time, in milliseconds since 1970, that only the simulation moves.
final class WorldClock: @unchecked Sendable {
    var now: Int64 = 1_482_969_600_000
}

/// A replica's wall clock: world time plus its own skew, which may jump (even backwards).
final class ReplicaClock: @unchecked Sendable {
    let world: WorldClock
    var skew: Int64

    init(world: WorldClock, skew: Int64) {
        self.world = world
        self.skew = skew
    }

    func read() -> Int64 { world.now + skew }
}

/// A replica's random bits for new annotation ids, seeded from its replica id (no extra
/// draws from the setup generator, so every seed keeps the workload it always had).
final class SeededBits: @unchecked Sendable {
    private var generator: SimulationRandom
    private let lock = NSLock()

    init(seed: UInt64) { generator = SimulationRandom(seed: seed) }

    func next() -> UInt64 { lock.withLock { generator.next() } }
}

/// One client replica: a real GlossStore on a temporary SQLite file, reopened from disk
/// when it "crashes".
final class SimulatedReplica {
    let index: Int
    let path: String
    /// Its replica id: the one it was made with, until it rebuilds itself under a new one
    /// (the server refused it as behind its compaction floor; see ``refreshIdentity()``).
    private(set) var id: ReplicaID
    let user: String
    let clock: ReplicaClock
    /// Where its annotation ids come from: seeded, so a seed replays exactly.
    let bits: SeededBits
    private(set) var store: GlossDatabase
    /// The highest own seq known committed; a crash must never lose it.
    var committedSeq: UInt64 = 0

    init(index: Int, directory: String, id: ReplicaID, user: String, token: String, clock: ReplicaClock) throws {
        self.index = index
        self.id = id
        self.user = user
        self.clock = clock
        let bits = SeededBits(seed: id.high ^ id.low)
        self.bits = bits
        path = (directory as NSString).appendingPathComponent("replica-\(index).gloss")
        let created = try GlossDatabase.create(
            at: path, name: user, clock: { [clock] in clock.read() }, random: { bits.next() })
        // The id comes from the seed, not the system generator, so a seed replays exactly.
        guard let writer = created.reader as? any DatabaseWriter else { throw SimulationError("the store's reader is not a writer") }
        try writer.write { db in try db.execute(sql: "UPDATE replica SET id = ?", arguments: [id.description]) }
        try created.setRemote(url: "sim://server", corpus: SimulatedServer.corpus, token: token, cacert: nil)
        store = created
    }

    /// Drops the store (everything not committed is gone) and reopens it from disk.
    func crash() throws {
        store = try GlossDatabase.open(at: path, clock: { [clock] in clock.read() }, random: { [bits] in bits.next() })
    }

    /// Notices a rebuild: the store took a new replica id. Then the highest committed seq
    /// starts over with the new id, and the old id is returned.
    func refreshIdentity() throws -> ReplicaID? {
        let current = try store.replicaInfo().id
        guard current != id else { return nil }
        let old = id
        id = current
        committedSeq = try ownMaxSeq()
        return old
    }

    /// The highest own seq in the log.
    func ownMaxSeq() throws -> UInt64 {
        try store.reader.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [id.description]) ?? 0)
        }
    }

    /// The highest local log position.
    func lastPosition() throws -> Int64 {
        try store.reader.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM changes") ?? 0 }
    }

    /// Frontier rows, `kind entity replica:seq` sorted, as the server's are listed.
    func frontier() throws -> [String] {
        try store.reader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.kind, e.id AS entity, c.replica, c.seq FROM frontier f
                    JOIN entities e ON e.rowid = f.entity JOIN changes c ON c.position = f.position
                    ORDER BY e.kind, e.id, c.replica, c.seq
                    """
            ).map { row in
                "\(row["kind"] as String) \(row["entity"] as String) \(row["replica"] as String):\(row["seq"] as Int64)"
            }
        }
    }

    /// The whole log in local order.
    func log() throws -> [Change] {
        try store.changes(afterPosition: 0, limit: 1_000_000).map(\.change)
    }

    /// One sync through the simulated network.
    func sync(network: SimulatedNetwork, options: SyncOptions) throws(SyncError) -> SyncReport {
        guard let remote = try? store.remote() else { throw SyncError.noRemote }
        network.beginSync()
        return try SyncEngine(store: store, transport: network, remote: remote, options: options).run()
    }
}

/// A failure of the harness itself (not of the system under test).
struct SimulationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
