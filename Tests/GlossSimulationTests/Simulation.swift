import Foundation
import GlossCore
import GlossServer
import GlossStore
import GlossSync
import Hummingbird
import HummingbirdTesting
import Logging

/// What to run.
struct SimulationConfig: Sendable {
    var seed: UInt64
    /// Operations before the final fault-free syncs; `nil`: drawn from the seed (8–30).
    var operations: Int?
    var rates = FaultRates()
    /// Whether the workload also compacts the server and replicas and retires replicas
    /// (issue 17): replicas then come back from behind the floor and rebuild themselves.
    var compaction = false
    /// Where temporary data goes (`/dev/shm` when there is one).
    var root: String = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
}

/// What one run did and found.
struct SimulationResult: Sendable {
    let seed: UInt64
    let replicas: Int
    let operations: Int
    let failures: [String]
    let trace: [String]
    let counts: FaultCounts
    /// Seconds spent in setup, the workload, the final syncs and the invariant checks.
    var phases: [Double] = [0, 0, 0, 0]

    var passed: Bool { failures.isEmpty }
}

/// One seed's run: replicas, a server and a faulty network, all driven by one seeded
/// generator from a single thread (only one actor acts at a time).
final class Simulation {
    let config: SimulationConfig
    var random: SimulationRandom
    let world = WorldClock()
    let server: SimulatedServer
    let network: SimulatedNetwork
    var replicas: [SimulatedReplica] = []
    let history = History()
    private(set) var log: [String] = []
    private(set) var failures: [String] = []
    let operations: Int
    var phases: [Double] = [0, 0, 0, 0]
    /// Where the replicas' files are (a new device adds one).
    let directory: String

    /// Runs one seed end to end.
    static func run(_ config: SimulationConfig) async -> SimulationResult {
        let directory = (config.root as NSString).appendingPathComponent("gloss-sim-\(config.seed)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let storage = try CrashableStorage(directory: (directory as NSString).appendingPathComponent("server"))
            var logger = Logger(label: "gloss-simulation")
            logger.logLevel = .critical
            let bookkeeping = ReplicaBookkeeping(storage: storage, retireAfter: nil, logger: logger)
            let app = Application(
                router: GlossApplication.router(storage: storage, limits: .default, metrics: ServerMetrics(), replicas: bookkeeping),
                logger: logger)
            return try await app.test(.router) { client in
                await onSimulationThread {
                    do {
                        let start = Date()
                        let simulation = try Simulation(
                            config: config, client: client, storage: storage, bookkeeping: bookkeeping, directory: directory)
                        simulation.phases[0] = Date().timeIntervalSince(start)
                        return simulation.run()
                    } catch {
                        return SimulationResult(
                            seed: config.seed, replicas: 0, operations: 0, failures: ["setup failed: \(error)"], trace: [],
                            counts: FaultCounts())
                    }
                }
            }
        } catch {
            return SimulationResult(
                seed: config.seed, replicas: 0, operations: 0, failures: ["setup failed: \(error)"], trace: [], counts: FaultCounts())
        }
    }

    init(
        config: SimulationConfig, client: any TestClientProtocol, storage: CrashableStorage, bookkeeping: ReplicaBookkeeping,
        directory: String
    ) throws {
        self.config = config
        self.directory = directory
        var random = SimulationRandom(seed: config.seed)
        // Separate streams, so that a shorter workload (when shrinking) replays the same prefix.
        var setup = random.split()
        let networkRandom = random.split()
        let workload = random.split()
        let replicaCount = [2, 2, 3, 3, 4][setup.int(0...4)]
        let users = ["ayse", "bora", "cem"]
        server = try SimulatedServer(storage: storage, bookkeeping: bookkeeping, users: users)
        network = SimulatedNetwork(client: client, server: server, random: networkRandom, rates: config.rates)
        // Runs with compaction are longer: history must grow stable before it can be dropped.
        operations = config.operations ?? setup.int(8...30) * (config.compaction ? 3 : 1)
        for index in 0..<replicaCount {
            let user = users[index % users.count]
            let id = ReplicaID(high: setup.next(), low: setup.next())
            let clock = ReplicaClock(world: world, skew: Int64(setup.int(-60_000...60_000)))
            replicas.append(
                try SimulatedReplica(
                    index: index, directory: directory, id: id, user: user, token: server.tokens[user]!, clock: clock))
        }
        self.random = workload
        network.acknowledged = { [history] replica, seq in history.acknowledge(replica, upTo: seq) }
        network.trace = { [unowned self] line in self.trace(line) }
    }

    func trace(_ line: String) { log.append(line) }

    func fail(_ message: String) {
        failures.append(message)
        trace("FAILURE: " + message)
    }

    func run() -> SimulationResult {
        trace("seed \(config.seed): \(replicas.count) replicas, \(operations) operations")
        // Every replica starts from the seed article: identical concurrent creations.
        for replica in replicas where replica.index == 0 || random.chance(0.5) {
            let article = SimulationCorpus.articles[0]
            localWrite(replica, "setup r\(replica.index) import") {
                "\(try replica.store.importItems([.article(article, authoritative: false)]))"
            }
        }
        var mark = Date()
        func lap(_ phase: Int) {
            phases[phase] = Date().timeIntervalSince(mark)
            mark = Date()
        }
        for number in 1...max(1, operations) {
            step(number)
            if failures.count > 0 { break }
        }
        lap(1)
        if failures.isEmpty { converge() }
        lap(2)
        if failures.isEmpty { Invariants(simulation: self).checkFinal() }
        lap(3)
        network.counts.serverCrashes = max(network.counts.serverCrashes, server.crashes)
        return SimulationResult(
            seed: config.seed, replicas: replicas.count, operations: operations, failures: failures, trace: log, counts: network.counts, phases: phases)
    }

    /// Faults stop, late requests land, and everyone syncs twice: the first round brings
    /// every change to the server, the second brings every change to every replica.
    func converge() {
        trace("converge: faults off")
        network.rates = .none
        do {
            try network.flushHeld()
        } catch {
            return fail("delivering held requests failed: \(error)")
        }
        var options = SyncOptions()
        options.backoff = 0
        options.pageSize = 7
        options.batchSize = 7
        for round in 1...2 {
            // After the first round the last replica to sync holds everything already.
            for replica in round == 1 ? replicas : replicas.dropLast() {
                do {
                    let report = try replica.sync(network: network, options: options)
                    noteRebuild(replica, prefix: "converge round \(round)")
                    trace("converge round \(round) r\(replica.index): \(report.pushed) pushed, \(report.pulled) pulled")
                } catch {
                    fail("converge round \(round): r\(replica.index) cannot sync without faults: \(error)")
                }
            }
        }
    }

    /// Every acknowledged change is on the server, whatever crashed since.
    func checkAcknowledged(_ prefix: String) {
        guard !history.acknowledged.isEmpty else { return }
        do {
            var held: [ReplicaID: Set<UInt64>] = [:]
            for change in try server.log() { held[change.dot.replica, default: []].insert(change.dot.seq) }
            for (replica, seq) in history.acknowledged where seq > 0 {
                let missing = (1...seq).filter {
                    !(held[replica]?.contains($0) ?? false) && !history.compacted.contains(Dot(replica: replica, seq: $0))
                }
                if !missing.isEmpty { fail("\(prefix) the server lost acknowledged changes \(replica): \(missing)") }
            }
        } catch {
            fail("\(prefix) cannot read the server's log: \(error)")
        }
    }
}
