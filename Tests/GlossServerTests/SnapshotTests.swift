import Crypto
import Foundation
import GlossCore
@testable import GlossServer
import GlossStore
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Snapshots (docs/protocol.md, "Snapshot"): built from the stored changes with the client's
/// own pull code, stored per corpus, served by `GET …/snapshot` with ranges; on each backend.
@Suite struct SnapshotTests {
    // MARK: Helpers

    /// Two replicas writing articles, annotations, concurrent edits (conflicts) and deletions.
    struct Workload {
        var ayse = ReplicaLog()
        var bora = ReplicaLog()
        var round = 0

        /// Pushes one round of 8 changes (ayse 6, bora 2), with a conflict and a deletion.
        mutating func push(_ client: some TestClientProtocol, _ server: TestServer) async throws {
            round += 1
            let article = sampleArticle(round)
            var first = try sampleAnnotation(on: article, start: 0, end: 5, note: "ilk \(round)")
            let second = try sampleAnnotation(on: article, start: 6, end: 10, note: "ikinci \(round)")
            let base = ayse.seq
            let puts = [ayse.put(article), ayse.put(first), ayse.put(second)]
            try expectPushed(
                try await client.push(token: server.ayse, replica: ayse.replica, changes: puts), stored: 3, duplicates: 0,
                maxSeq: Int(base) + 3)
            let firstDot = Dot(replica: ayse.replica, seq: base + 2)
            let secondDot = Dot(replica: ayse.replica, seq: base + 3)
            // Concurrent edits of the same note: a conflict both sides keep.
            first.note = "ayşe'nin notu \(round)"
            let ayseEdit = ayse.put(first, clock: VectorClock().including(firstDot), replaces: [firstDot])
            first.note = "bora'nın notu \(round)"
            let boraEdit = bora.put(first, clock: VectorClock().including(firstDot), replaces: [firstDot])
            let boraDelete = bora.next(
                kind: .annotation, entity: second.id, operation: .delete, content: nil, clock: VectorClock().including(secondDot),
                replaces: [secondDot])
            #expect(try await client.push(token: server.ayse, replica: ayse.replica, changes: [ayseEdit]).status == .ok)
            #expect(try await client.push(token: server.bora, replica: bora.replica, changes: [boraEdit, boraDelete]).status == .ok)
            // And two more articles, so pages span several kinds.
            let more = [ayse.put(sampleArticle(1000 + round)), ayse.put(sampleArticle(2000 + round))]
            #expect(try await client.push(token: server.ayse, replica: ayse.replica, changes: more).status == .ok)
        }
    }

    static func corpusID(_ server: TestServer) async throws -> Int64 {
        try #require(try await server.storage.snapshotTarget(corpus: TestServer.corpus)).corpusID
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func snapshotURI(_ corpus: String = TestServer.corpus) -> String { "/v1/corpora/\(corpus)/snapshot" }

    static func get(
        _ client: some TestClientProtocol, token: String?, method: HTTPRequest.Method = .get, headers extra: [(HTTPField.Name, String)] = []
    ) async throws -> Answer {
        try await client.send(method, snapshotURI(), headers: syncHeaders(token: token, extra: extra))
    }

    /// A replica that pulled every change through the protocol in pages of `pageSize`, as a
    /// client does, in `directory`.
    static func pulledReplica(
        _ client: some TestClientProtocol, _ server: TestServer, pageSize: Int = 7, name: String = "pulled"
    ) async throws -> GlossDatabase {
        let target = try #require(try await server.storage.snapshotTarget(corpus: TestServer.corpus))
        let store = try GlossDatabase.create(at: server.directory.appendingPathComponent("\(name).gloss").path)
        try store.setRemote(url: "http://127.0.0.1:1", corpus: TestServer.corpus)
        var cursor: Int64 = 0
        while true {
            let page = try await client.pullPage(token: server.reader, query: "after=\(cursor)&limit=\(pageSize)")
            _ = try store.applyPulledPage(try page.changes.map { try PreparedChange($0) }, cursor: page.cursor, epoch: target.epoch)
            cursor = page.cursor
            if !page.more { break }
        }
        return store
    }

    /// Opens snapshot bytes as a replica (written to a file of `directory` first).
    static func open(_ bytes: [UInt8], in directory: URL, name: String) throws -> GlossDatabase {
        let path = directory.appendingPathComponent("\(name).gloss").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try GlossDatabase.open(at: path)
    }

    /// What two replicas must agree on: exports, conflicts and the changes in the log.
    static func expectSameReplica(_ a: GlossDatabase, _ b: GlossDatabase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for format in [ExportFormat.json, .jsonl, .w3c] {
            guard case .document(let left) = try a.export(format), case .document(let right) = try b.export(format) else {
                Issue.record("\(format) is a document", sourceLocation: sourceLocation)
                continue
            }
            #expect(left == right, "\(format) exports differ", sourceLocation: sourceLocation)
        }
        // The same changes, each the same bytes. (Their order in the local log depends on
        // where pages end: a page writes its entities' first versions first.)
        let changes = { (store: GlossDatabase) in try store.changes(limit: 1_000_000).map { $0.change.jsonString }.sorted() }
        #expect(try changes(a) == changes(b), "the logs hold the same changes", sourceLocation: sourceLocation)
        #expect(try a.conflicts() == b.conflicts(), sourceLocation: sourceLocation)
    }

    // MARK: Building and serving

    @Test(arguments: TestBackend.enabled) func aSnapshotIsTheReplicaAPullGivesAndIsServedWhole(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            expectRefused(try await Self.get(client, token: server.reader), .notFound, "no_snapshot")
            var workload = Workload()
            for _ in 0..<3 { try await workload.push(client, server) }

            let outcome = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus, pageSize: 5)
            #expect(outcome.built && !outcome.incremental)
            let snapshot = outcome.snapshot
            #expect(snapshot.position == 24 && snapshot.changes == 24 && outcome.applied == 24)
            let target = try #require(try await server.storage.snapshotTarget(corpus: TestServer.corpus))
            #expect(snapshot.epoch == target.epoch)

            let answer = try await Self.get(client, token: server.reader)
            #expect(answer.status == .ok)
            #expect(answer.bytes.count == Int(snapshot.size))
            #expect(Self.sha256(answer.bytes) == snapshot.sha256)
            #expect(answer.headers[.eTag] == "\"\(snapshot.sha256)\"")
            #expect(answer.headers[.contentLength] == String(snapshot.size))
            #expect(answer.headers[.contentType] == SnapshotHeaders.contentType)
            #expect(answer.headers[.acceptRanges] == "bytes")
            #expect(answer.headers[HTTPField.Name(SnapshotHeaders.position)!] == "24")
            #expect(answer.headers[HTTPField.Name(SnapshotHeaders.epoch)!] == target.epoch)
            #expect(answer.headers[HTTPField.Name(SnapshotHeaders.changes)!] == "24")
            #expect(Array(answer.bytes.prefix(16)) == Array("SQLite format 3\0".utf8))
            // A rollback-journal file (bytes 18 and 19 are 1): no -wal needed to read it.
            #expect(answer.bytes[18] == 1 && answer.bytes[19] == 1)
            if let path = server.storage.snapshotFilePath(snapshot) {
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == answer.bytes)
                #expect(OwnerOnlyMode.of(path) == 0o600)
            }

            let adopted = try Self.open(answer.bytes, in: server.directory, name: "snapshot")
            let remote = try #require(try adopted.remote())
            #expect(remote.corpus == TestServer.corpus && remote.cursor == 24 && remote.epoch == target.epoch)
            #expect(remote.url == "" && remote.token == "")
            #expect(try adopted.replicaInfo().id == SnapshotBuilder.placeholderReplica)
            #expect(SnapshotBuilder.placeholderReplica.description == String(repeating: "0", count: 26))
            let pulled = try await Self.pulledReplica(client, server)
            try Self.expectSameReplica(adopted, pulled)
            #expect(try pulled.conflicts().count == 3, "the workload makes conflicts")

            // Nothing new: the latest snapshot is up to date.
            let again = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus)
            #expect(!again.built && again.snapshot == snapshot)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func anIncrementalBuildEqualsABuildFromScratch(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var workload = Workload()
            for _ in 0..<2 { try await workload.push(client, server) }
            let first = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus, pageSize: 3)
            #expect(first.snapshot.position == 16 && !first.incremental)
            for _ in 0..<2 { try await workload.push(client, server) }
            let second = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus, pageSize: 3)
            #expect(second.built && second.incremental, "started from the previous snapshot")
            #expect(second.applied == 16 && second.snapshot.position == 32 && second.snapshot.changes == 32)
            #expect(try await server.storage.snapshots().count == 1, "the new one replaced the old one")

            // From scratch, with the builder alone, in pages of another size.
            let id = try await Self.corpusID(server)
            let target = try #require(try await server.storage.snapshotTarget(corpus: TestServer.corpus))
            let work = server.directory.appendingPathComponent("scratch").path
            let builder = try SnapshotBuilder(corpus: TestServer.corpus, epoch: target.epoch, workPath: work + ".building")
            #expect(!builder.isIncremental && builder.position == 0)
            let wires = try await server.storage.changeWires(corpusID: id, after: 0, upTo: target.position, limit: 1_000)
            for start in stride(from: 0, to: wires.count, by: 10) {
                let page = wires[start..<min(start + 10, wires.count)]
                try builder.apply(page.map { Array($0.wire.utf8) }, cursor: page.last!.position)
            }
            let scratch = try builder.finish(into: work + ".sqlite")
            #expect(scratch.position == second.snapshot.position && scratch.changes == second.snapshot.changes)
            #expect(!FileManager.default.fileExists(atPath: work + ".building"), "the work file is removed")

            let served = try await Self.get(client, token: server.ayse)
            #expect(served.status == .ok && Self.sha256(served.bytes) == second.snapshot.sha256)
            let incremental = try Self.open(served.bytes, in: server.directory, name: "incremental")
            let fromScratch = try GlossDatabase.open(at: scratch.path)
            try Self.expectSameReplica(incremental, fromScratch)
            try Self.expectSameReplica(incremental, try await Self.pulledReplica(client, server, pageSize: 5))
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func rangesConditionsHeadAndScopes(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var workload = Workload()
            try await workload.push(client, server)
            let snapshot = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus).snapshot
            let whole = try await Self.get(client, token: server.reader).bytes
            let size = Int(snapshot.size)
            #expect(whole.count == size && size > 4096)
            let etag = snapshot.etag

            let tail = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=1000-")])
            #expect(tail.status == .partialContent)
            #expect(tail.bytes == Array(whole[1000...]))
            #expect(tail.headers[.contentRange] == "bytes 1000-\(size - 1)/\(size)")
            #expect(tail.headers[.contentLength] == String(size - 1000))
            #expect(tail.headers[.eTag] == etag)

            let middle = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=10-19"), (.ifRange, etag)])
            #expect(middle.status == .partialContent && middle.bytes == Array(whole[10...19]))
            #expect(middle.headers[.contentRange] == "bytes 10-19/\(size)")

            let suffix = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=-100")])
            #expect(suffix.status == .partialContent && suffix.bytes == Array(whole[(size - 100)...]))
            let clipped = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=\(size - 5)-\(size + 100)")])
            #expect(clipped.status == .partialContent && clipped.bytes == Array(whole[(size - 5)...]))

            // Another file's ETag: the whole file.
            let other = SnapshotHeaders.etag(sha256Hex: String(repeating: "0", count: 64))
            let changed = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=1000-"), (.ifRange, other)])
            #expect(changed.status == .ok && changed.bytes == whole)
            // Several ranges: the whole file too (documented).
            let several = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=0-9,20-29")])
            #expect(several.status == .ok && several.bytes == whole)

            let past = try await Self.get(client, token: server.reader, headers: [(.range, "bytes=\(size)-")])
            expectRefused(past, .rangeNotSatisfiable, "range_not_satisfiable")
            #expect(past.headers[.contentRange] == "bytes */\(size)")

            let head = try await Self.get(client, token: server.reader, method: .head)
            #expect(head.status == .ok && head.bytes.isEmpty)
            #expect(head.headers[.contentLength] == String(size) && head.headers[.eTag] == etag)
            #expect(head.headers[HTTPField.Name(SnapshotHeaders.position)!] == String(snapshot.position))

            let unchanged = try await Self.get(client, token: server.reader, headers: [(.ifNoneMatch, etag)])
            #expect(unchanged.status == .notModified && unchanged.bytes.isEmpty)

            // Any token of the corpus reads it; none, or another corpus's, does not.
            #expect(try await Self.get(client, token: server.ayse).status == .ok)
            #expect(try await Self.get(client, token: server.admin).status == .ok)
            expectRefused(try await Self.get(client, token: nil), .unauthorized, "unauthorized")
            expectRefused(try await Self.get(client, token: server.sportsWriter), .notFound, "not_found")
            let posted = try await client.send(.post, Self.snapshotURI(), headers: syncHeaders(token: server.ayse), body: [])
            expectRefused(posted, .methodNotAllowed, "method_not_allowed")
            #expect(posted.headers[.allow] == "GET, HEAD")
            let sports = try await client.send(.get, Self.snapshotURI(TestServer.otherCorpus), headers: syncHeaders(token: server.sportsWriter))
            expectRefused(sports, .notFound, "no_snapshot")
        }
    }

    @Test func rangeHeadersAreReadAsRFC9110Says() {
        typealias R = SnapshotRoutes
        #expect(R.parseRange("bytes=0-", size: 10) == .range(0...9))
        #expect(R.parseRange("bytes=3-5", size: 10) == .range(3...5))
        #expect(R.parseRange("bytes=3-50", size: 10) == .range(3...9))
        #expect(R.parseRange("bytes=-3", size: 10) == .range(7...9))
        #expect(R.parseRange("bytes=-30", size: 10) == .range(0...9))
        #expect(R.parseRange("bytes=10-", size: 10) == .unsatisfiable)
        #expect(R.parseRange("bytes=-0", size: 10) == .unsatisfiable)
        #expect(R.parseRange("bytes=5-3", size: 10) == .whole)
        #expect(R.parseRange("bytes=0-1,4-5", size: 10) == .whole)
        #expect(R.parseRange("items=0-1", size: 10) == .whole)
        #expect(R.parseRange("bytes=a-", size: 10) == .whole)
        #expect(R.parseRange("bytes=99999999999999999999-", size: 10) == .whole)
    }

    // MARK: Lifecycle

    @Test(arguments: TestBackend.enabled) func snapshotsAreBuiltAutomaticallyEveryNChanges(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend, snapshotEvery: 10) { server, client in
            let snapshots = try #require(server.snapshots)
            var workload = Workload()
            try await workload.push(client, server)  // 8 changes
            await snapshots.waitForBuilds()
            expectRefused(try await Self.get(client, token: server.reader), .notFound, "no_snapshot")
            try await workload.push(client, server)  // 16
            await snapshots.waitForBuilds()
            let first = try #require(try await server.storage.latestSnapshot(corpusID: try await Self.corpusID(server)))
            #expect(first.position >= 10 && first.position <= 16)
            try await workload.push(client, server)  // 24: fewer than 10 past the snapshot, or more
            await snapshots.waitForBuilds()
            let latest = try #require(try await server.storage.latestSnapshot(corpusID: try await Self.corpusID(server)))
            #expect(24 - latest.position < 10)
            let answer = try await Self.get(client, token: server.reader)
            #expect(answer.status == .ok && Self.sha256(answer.bytes) == latest.sha256)
            let exposition = String(decoding: server.metrics.exposition(), as: UTF8.self)
            #expect((metricValue("gloss_snapshots_built_total", in: exposition) ?? 0) >= 1, "\(exposition)")
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func renewingEpochsAndDeletingTheCorpusDropSnapshots(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var workload = Workload()
            try await workload.push(client, server)
            let id = try await Self.corpusID(server)
            _ = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus)
            #expect(try await server.storage.latestSnapshot(corpusID: id) != nil)

            _ = try await server.storage.renewEpochs()
            #expect(try await server.storage.latestSnapshot(corpusID: id) == nil)
            #expect(try await server.storage.snapshots().isEmpty)
            expectRefused(try await Self.get(client, token: server.reader), .notFound, "no_snapshot")
            #expect(try await server.storage.check() == [])
            if backend == .sqlite {
                let folder = server.directory.appendingPathComponent("snapshots").path
                let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sqlite") }
                #expect(files.isEmpty, "the old epoch's file is removed: \(files)")
            }

            // A new snapshot is of the new epoch; deleting the corpus drops it.
            let rebuilt = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus)
            #expect(rebuilt.built && !rebuilt.incremental)
            let target = try #require(try await server.storage.snapshotTarget(corpus: TestServer.corpus))
            #expect(rebuilt.snapshot.epoch == target.epoch)
            let path = server.storage.snapshotFilePath(rebuilt.snapshot)
            _ = try await server.storage.deleteCorpus(name: TestServer.corpus)
            #expect(try await server.storage.snapshots().isEmpty)
            if let path { #expect(!FileManager.default.fileExists(atPath: path)) }
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aSnapshotBuiltInAnOldEpochIsNotKept(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var workload = Workload()
            try await workload.push(client, server)
            let id = try await Self.corpusID(server)
            let target = try #require(try await server.storage.snapshotTarget(corpus: TestServer.corpus))
            let work = server.directory.appendingPathComponent("old").path
            let builder = try SnapshotBuilder(corpus: TestServer.corpus, epoch: target.epoch, workPath: work + ".building")
            let wires = try await server.storage.changeWires(corpusID: id, after: 0, upTo: target.position, limit: 100)
            try builder.apply(wires.map { Array($0.wire.utf8) }, cursor: target.position)
            let file = try builder.finish(into: work + ".sqlite")
            _ = try await server.storage.renewEpochs()
            await #expect(throws: StorageError.snapshotStale(corpus: TestServer.corpus)) {
                _ = try await server.storage.saveSnapshot(corpusID: id, file: file)
            }
            #expect(try await server.storage.snapshots().isEmpty)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func twoStoragesOnOneDatabaseServeTheSameBytes(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var workload = Workload()
            try await workload.push(client, server)
            _ = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus)
            try await workload.push(client, server)
            // The second process builds the next one, from the first one's snapshot.
            let other = try await server.reopen()
            let built = try await SnapshotMaker.build(storage: other, corpus: TestServer.corpus)
            #expect(built.built && built.incremental)
            let served = try await Self.get(client, token: server.reader)
            #expect(served.status == .ok && Self.sha256(served.bytes) == built.snapshot.sha256)
            let downloaded = server.directory.appendingPathComponent("downloaded.sqlite").path
            try await SnapshotMaker.download(built.snapshot, from: other, to: downloaded)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: downloaded))) == served.bytes)
            // Reading from an offset through either storage gives the same tail.
            let reader = try await other.openSnapshot(built.snapshot, from: 5000)
            var tail: [UInt8] = []
            while true {
                let piece = try await reader.read(maxLength: 777)
                if piece.readableBytes == 0 { break }
                tail += Array(piece.readableBytesView)
            }
            await reader.close()
            #expect(tail == Array(served.bytes[5000...]))
            await other.shutdown()
        }
    }

    @Test(arguments: TestBackend.enabled) func oneBuildPerCorpusAtATime(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let id = try await Self.corpusID(server)
            let other = try await server.reopen()
            let storage = server.storage
            let nested = try await storage.withSnapshotBuildLock(corpusID: id) {
                // Another process (a second storage) is refused while this one holds it.
                try await other.withSnapshotBuildLock(corpusID: id) { true }
            }
            #expect(nested == .some(nil))
            #expect(try await other.withSnapshotBuildLock(corpusID: id) { true } == true, "free again once released")
            await other.shutdown()
        }
    }

    @Test func checkFindsADamagedSnapshotFile() async throws {
        try await TestServer.with(backend: .sqlite) { server, client in
            var workload = Workload()
            try await workload.push(client, server)
            let snapshot = try await SnapshotMaker.build(storage: server.storage, corpus: TestServer.corpus).snapshot
            let path = try #require(server.storage.snapshotFilePath(snapshot))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seek(toOffset: 200)
            try handle.write(contentsOf: Data([0xff, 0xfe]))
            try handle.close()
            let problems = try await server.storage.check()
            #expect(problems.count == 1 && problems.first?.contains("snapshot") == true, "\(problems)")
            try FileManager.default.removeItem(atPath: path)
            let missing = try await server.storage.check()
            #expect(missing.count == 1 && missing.first?.contains("missing") == true, "\(missing)")
        }
    }
}

/// The permission bits of a file.
enum OwnerOnlyMode {
    static func of(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }
}
