import Foundation
import GlossCore
@testable import GlossServer
import Testing

/// Server compaction (`Storage.compact`): what is dropped and what is kept, what pulls serve
/// afterwards, and the floor.
struct CompactionTests {
    @Test(arguments: TestBackend.enabled) func compactionDropsSupersededStableVersionsAndKeepsWhatMergesNeed(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var history = CompactionHistory()
            try await history.push(client, server)
            // A snapshot at 15 would survive; one below the floor must go.
            let id = try await server.corpusID
            let before = try await server.storage.corpora(named: TestServer.corpus).first
            #expect(before?.changes == 15 && before?.latestPosition == 15 && before?.floor == 0)

            // Nothing seen yet by either replica: the horizon is 0, nothing to do.
            try await server.sawPulled([history.a.replica, history.b.replica], upTo: 0)
            let idle = try await server.storage.compact(corpus: TestServer.corpus)
            #expect(!idle.ran && idle.dropped == 0 && idle.floorAfter == 0 && idle.horizon == 0)

            try await server.sawPulled([history.a.replica, history.b.replica], upTo: 13)
            let report = try await server.storage.compact(corpus: TestServer.corpus)
            #expect(report.ran && report.horizon == 13 && report.floorBefore == 0 && report.floorAfter == 13)
            #expect(report.dropped == 2 && report.storedBefore == 15 && report.storedAfter == 13)
            #expect(report.entities == 5)
            #expect(try await server.storage.check() == [])

            // Pulled from 0: what remains, in position order; the cursor passes the gaps.
            let kept = CompactionHistory.kept(CompactionHistory.droppedAt13)
            #expect(try await client.pullAll(token: server.reader).map(\.dot) == history.dots(at: kept))
            let firstPage = try await client.pull(token: server.reader, query: "after=1&limit=2").json()
            #expect(firstPage["cursor"]?.intValue == 5)
            #expect(firstPage["floor"]?.intValue == 13 && firstPage["latest"]?.intValue == 15)
            #expect(firstPage["changes"]?.arrayValue?.count == 2)
            let gap = try await client.pull(token: server.reader, query: "after=2&limit=1").json()
            #expect(gap["cursor"]?.intValue == 5 && gap["more"] == .bool(true))

            // Positions are never reused.
            let after = try await server.storage.corpora(named: TestServer.corpus).first
            #expect(after?.changes == 13 && after?.latestPosition == 15 && after?.floor == 13)
            #expect(try await server.storage.latestPosition(corpusID: id) == 15)

            // Again at the same horizon: nothing to do.
            let again = try await server.storage.compact(corpus: TestServer.corpus)
            #expect(!again.ran && again.dropped == 0 && again.floorAfter == 13 && again.storedAfter == 13)

            // Later, once both have seen everything: the resolved entity and e1's last stable version go.
            try await server.sawPulled([history.a.replica, history.b.replica], upTo: 15)
            let later = try await server.storage.compact(corpus: TestServer.corpus)
            #expect(later.ran && later.floorBefore == 13 && later.floorAfter == 15 && later.dropped == 3 && later.storedAfter == 10)
            #expect(later.entities == 2, "only the entities changed since the last compaction are looked at")
            #expect(
                try await client.pullAll(token: server.reader).map(\.dot)
                    == history.dots(at: CompactionHistory.kept(CompactionHistory.droppedAt15)))
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aSnapshotBelowTheNewFloorIsDeleted(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var history = CompactionHistory()
            try await history.push(client, server)
            let built = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus)
            #expect(built.snapshot.position == 15)
            try await server.sawPulled([history.a.replica, history.b.replica], upTo: 13)
            let report = try await server.storage.compact(corpus: TestServer.corpus)
            #expect(report.ran && !report.snapshotDeleted, "a snapshot at or above the floor stays")
            #expect(try await server.storage.snapshots().map(\.position) == [15])

            // Two more changes, a snapshot at 17, then a floor of 17 from a later horizon: at 17 it stays.
            var log = history.a
            let article = sampleArticle(1)
            let more = [log.put(article), log.put(sampleArticle(2))]
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, seen: PullPosition(after: 15, epoch: try await server.epoch), changes: more), stored: 2, duplicates: 0, maxSeq: 15)
            try await server.sawPulled([history.a.replica, history.b.replica], upTo: 16)
            let belowFloor = try await server.storage.compact(corpus: TestServer.corpus)
            #expect(belowFloor.floorAfter == 16 && belowFloor.snapshotDeleted)
            #expect(try await server.storage.snapshots().isEmpty)
            if let sqlite = server.storage as? SQLiteStorage {
                let files = try FileManager.default.contentsOfDirectory(atPath: sqlite.snapshotFolder).filter { $0.hasSuffix(".sqlite") }
                #expect(files.isEmpty, "the file goes with its row")
            }
            #expect(try await server.storage.check() == [])
            // A new build is at or above the floor, and is kept.
            let rebuilt = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus)
            #expect(rebuilt.built && rebuilt.snapshot.position == 17)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.postgresSkipReason))
    func migratingToPostgreSQLKeepsTheFloorAndWhatReplicasHaveSeen() async throws {
        try await TestServer.with(backend: .sqlite) { server, client in
            var history = CompactionHistory()
            try await history.push(client, server)
            try await server.sawPulled([history.a.replica, history.b.replica], upTo: 13)
            _ = try await server.storage.compact(corpus: TestServer.corpus)
            let sqlite = try #require(server.storage as? SQLiteStorage)
            let database = try await TestBackend.postgres.makeDatabase(in: server.directory)
            let target = try #require(try await database.open() as? PostgresStorage)
            do {
                _ = try await StorageMigration.copy(from: sqlite, to: target)
                let corpus = try #require(try await target.corpora(named: TestServer.corpus).first)
                #expect(corpus.floor == 13 && corpus.changes == 13 && corpus.latestPosition == 15)
                let report = try await target.replicaReport(corpus: TestServer.corpus)
                #expect(report.horizon == 13 && report.replicas.count == 2, "without what replicas have seen, the horizon would be 15")
                #expect(try await target.check() == [])
                #expect(try await !target.compact(corpus: TestServer.corpus).ran, "the compaction was finished before the copy")
                // Still refused behind the floor.
                let change = history.b.put(sampleArticle(5))
                await #expect(throws: StorageError.self) {
                    _ = try await target.push(
                        corpusID: corpus.id, user: "bora", replica: history.b.replica, seen: PullPosition(after: 12, epoch: try await server.epoch),
                        changes: [IncomingChange(change: change, wire: change.jsonString)])
                }
            } catch {
                await target.shutdown()
                try? await database.drop()
                throw error
            }
            await target.shutdown()
            try await database.drop()
        }
    }

    @Test func onlyAUniqueMaximalStableVersionSupersedesTheOthers() throws {
        let a = ReplicaID.random()
        let b = ReplicaID.random()
        func stored(_ position: Int64, _ dot: Dot, _ clock: [ReplicaID: UInt64], wall: Int64? = nil) -> EntityCompaction.Stored {
            EntityCompaction.Stored(position: position, dot: dot, clock: VectorClock(clock), wall: wall ?? 1_000 + position)
        }
        let v1 = stored(1, Dot(replica: a, seq: 1), [a: 1])
        let v2 = stored(2, Dot(replica: a, seq: 2), [a: 2])
        let w = stored(3, Dot(replica: b, seq: 1), [a: 2, b: 1])
        let other = stored(4, Dot(replica: a, seq: 3), [a: 3])
        #expect(try EntityCompaction.droppable(stable: [v1, v2, w], frontier: [w.dot], entity: "e") == [1, 2])
        // Two maximal stable versions: both kept, and what they supersede too.
        #expect(try EntityCompaction.droppable(stable: [v1, v2, w, other], frontier: [Dot(replica: b, seq: 9)], entity: "e") == [])
        // Concurrent versions in the frontier: the whole history stays.
        #expect(try EntityCompaction.droppable(stable: [v1, v2, w], frontier: [w.dot, other.dot], entity: "e") == [])
        // A frontier version is never superseded: finding one would mean damage.
        #expect(throws: StorageError.self) { try EntityCompaction.droppable(stable: [v1, v2, w], frontier: [v2.dot], entity: "e") }

        // The earliest version of all stays (every replica shows it as when the entity was
        // created), also when only a version above the floor is earlier still.
        #expect(try EntityCompaction.droppable(stored: [v1, v2, w], floor: 3, frontier: [w.dot], entity: "e") == [2])
        let late = stored(5, Dot(replica: b, seq: 2), [a: 2, b: 2], wall: 900)
        #expect(try EntityCompaction.droppable(stored: [v1, v2, w, late], floor: 3, frontier: [late.dot], entity: "e") == [1, 2])
    }

    @Test func checkAllowsGapsOnlyOnceACorpusWasCompacted() {
        // Never compacted: positions 1…N and seqs 1…max, without gaps.
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 0, compactedThrough: 0, stored: 10, top: 10).isEmpty)
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 0, compactedThrough: 0, stored: 9, top: 10).count == 1)
        #expect(StoredCounts.replicaProblems(replica: "R", maxSeq: 5, floor: 0, stored: 4, top: 5).count == 1)
        // Compacted: gaps are fine, but nothing beyond the latest position or the highest seq.
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 8, compactedThrough: 8, stored: 4, top: 10).isEmpty)
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 8, compactedThrough: 0, stored: 10, top: 10).isEmpty, "stopped half-way")
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 8, compactedThrough: 8, stored: 4, top: 11).count == 1)
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 12, compactedThrough: 8, stored: 4, top: 10).count == 1)
        #expect(StoredCounts.corpusProblems(name: "n", last: 10, floor: 8, compactedThrough: 9, stored: 4, top: 10).count == 1)
        #expect(StoredCounts.replicaProblems(replica: "R", maxSeq: 5, floor: 8, stored: 2, top: 4).isEmpty)
        #expect(StoredCounts.replicaProblems(replica: "R", maxSeq: 5, floor: 8, stored: 2, top: 6).count == 1)
    }

    @Test func theFloorRules() {
        let epoch = String(repeating: "ab", count: 16)
        let other = String(repeating: "cd", count: 16)
        // Never compacted: everything passes, as before.
        #expect(!FloorRule.refusesPush(seen: nil, floor: 0, epoch: epoch))
        #expect(!FloorRule.refusesPull(after: 5, namesEpoch: true, floor: 0))
        // Compacted through 10.
        #expect(FloorRule.refusesPush(seen: nil, floor: 10, epoch: epoch))
        #expect(FloorRule.refusesPush(seen: PullPosition(after: 9, epoch: epoch), floor: 10, epoch: epoch))
        #expect(!FloorRule.refusesPush(seen: PullPosition(after: 10, epoch: epoch), floor: 10, epoch: epoch))
        #expect(!FloorRule.refusesPush(seen: PullPosition(after: 0, epoch: epoch), floor: 10, epoch: epoch))
        #expect(!FloorRule.refusesPush(seen: PullPosition(after: 0, epoch: other), floor: 10, epoch: epoch))
        #expect(FloorRule.refusesPush(seen: PullPosition(after: 50, epoch: other), floor: 10, epoch: epoch))
        #expect(FloorRule.refusesPull(after: 9, namesEpoch: true, floor: 10))
        #expect(!FloorRule.refusesPull(after: 9, namesEpoch: false, floor: 10), "a page fetched ahead")
        #expect(!FloorRule.refusesPull(after: 0, namesEpoch: true, floor: 10))
        #expect(!FloorRule.refusesPull(after: 10, namesEpoch: true, floor: 10))
    }
}
