import Foundation
import GlossCore
import GRDB
import Testing
@testable import GlossStore

/// A snapshot is untrusted input: each damaged or crafted one is refused with the reason,
/// and the replica stays empty, as if it had never been offered.
struct HostileSnapshotTests {
    typealias Snapshot = (path: String, claim: SnapshotClaim)

    /// A good snapshot, spoiled by `spoil` (which may change the file and the claim).
    func offer(_ spoil: (inout Snapshot) throws -> Void) throws -> (refusal: SnapshotRefusal?, phoneIsEmpty: Bool) {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let changes = try SnapshotAdoptionTests().history()
        var snapshot = try SnapshotAdoptionTests.snapshot(of: changes, in: folder)
        try spoil(&snapshot)
        let phone = try SnapshotAdoptionTests.freshReplica(in: folder)
        var refusal: SnapshotRefusal?
        do {
            _ = try phone.adoptSnapshot(at: snapshot.path, claim: snapshot.claim)
        } catch StoreError.snapshotRefused(let reason) {
            refusal = reason
        }
        let empty = try phone.canAdoptSnapshot() && phone.export(.jsonl).text.isEmpty && phone.doctor().isHealthy
        return (refusal, empty)
    }

    /// Changes the file through SQL (as a crafting server would), then announces its new hash.
    static func craft(_ snapshot: inout Snapshot, _ sql: String) throws {
        let queue = try DatabaseQueue(path: snapshot.path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try queue.close()
        try rehash(&snapshot)
    }

    static func rehash(_ snapshot: inout Snapshot) throws {
        snapshot.claim.sha256 = try SnapshotBuilder.hash(snapshot.path).sha256
    }

    static func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: bytes)
        try handle.close()
    }

    @Test func aFileThatIsNotSQLite() throws {
        let (refusal, empty) = try offer { snapshot in
            try Self.overwrite(snapshot.path, at: 0, with: Array("NOT a database!!".utf8))
            try Self.rehash(&snapshot)
        }
        #expect(refusal == .notADatabase)
        #expect(empty)
    }

    @Test func aTruncatedDownload() throws {
        let (refusal, empty) = try offer { snapshot in
            let size = try SnapshotAdoptionTests.size(snapshot.path)
            let handle = try #require(FileHandle(forWritingAtPath: snapshot.path))
            try handle.truncate(atOffset: UInt64(size / 2 / UntrustedSnapshot.pageSize * UntrustedSnapshot.pageSize))
            try handle.close()
            try Self.rehash(&snapshot)
        }
        guard case .truncated? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(empty)
    }

    @Test func bytesThatDoNotHashToTheAnnouncedETag() throws {
        let (refusal, empty) = try offer { snapshot in
            try Self.overwrite(snapshot.path, at: 3 * UInt64(UntrustedSnapshot.pageSize) + 100, with: [0xFF, 0x00, 0xFF])
        }
        guard case .hashMismatch? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(empty)
    }

    @Test func damagedPagesWithAMatchingHash() throws {
        let (refusal, empty) = try offer { snapshot in
            let pages = try SnapshotAdoptionTests.size(snapshot.path) / UntrustedSnapshot.pageSize
            // Scribble over the middle of a few B-tree pages (not page 1, so the header stands).
            for page in stride(from: 2, to: pages, by: 3) {
                try Self.overwrite(snapshot.path, at: UInt64(page * UntrustedSnapshot.pageSize + 8), with: Array(repeating: 0xA5, count: 64))
            }
            try Self.rehash(&snapshot)
        }
        #expect(refusal != nil)
        #expect(empty)
    }

    @Test func anExtraTrigger() throws {
        let (refusal, empty) = try offer { snapshot in
            try Self.craft(
                &snapshot,
                "CREATE TRIGGER steal AFTER INSERT ON changes BEGIN INSERT INTO remote (singleton, url, corpus, token) VALUES (2, 'x', 'y', 'z'); END")
        }
        guard case .schemaMismatch(let detail)? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(detail.contains("steal"))
        #expect(empty)
    }

    @Test func anExtraViewOrTable() throws {
        for sql in ["CREATE VIEW peek AS SELECT token FROM remote", "CREATE TABLE extra (x)", "CREATE INDEX more ON changes (author)"] {
            let (refusal, empty) = try offer { snapshot in try Self.craft(&snapshot, sql) }
            guard case .schemaMismatch? = refusal else { Issue.record("\(sql): refused as \(String(describing: refusal))"); continue }
            #expect(empty)
        }
    }

    @Test func anAlteredTableDefinition() throws {
        let (refusal, empty) = try offer { snapshot in
            // The append-only guard removed: same tables, one trigger fewer.
            try Self.craft(&snapshot, "DROP TRIGGER changes_are_append_only_delete")
        }
        guard case .schemaMismatch? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(empty)
    }

    @Test func wrongCounts() throws {
        let (announcedMore, empty) = try offer { snapshot in snapshot.claim.changes += 1 }
        guard case .inconsistent? = announcedMore else { Issue.record("refused as \(String(describing: announcedMore))"); return }
        #expect(empty)
        let (strayEntity, stillEmpty) = try offer { snapshot in
            try Self.craft(
                &snapshot,
                "INSERT INTO entities (kind, id, deleted, created_wall, modified_wall) VALUES ('annotation', '00000000000000000000000000', 0, 0, 0)")
        }
        guard case .inconsistent? = strayEntity else { Issue.record("refused as \(String(describing: strayEntity))"); return }
        #expect(stillEmpty)
        // As many entities as the log has, but one of them is another: the counts agree,
        // the sets do not.
        let (swapped, emptyAfterSwap) = try offer { snapshot in
            try Self.craft(
                &snapshot,
                """
                UPDATE entities SET id = '00000000000000000000000000'
                WHERE rowid = (SELECT MIN(rowid) FROM entities WHERE kind = 'annotation')
                """)
        }
        guard case .inconsistent(let detail)? = swapped else { Issue.record("refused as \(String(describing: swapped))"); return }
        #expect(detail.contains("not the entities of its log"), "\(detail)")
        #expect(emptyAfterSwap)
    }

    @Test func aMalformedReplicaId() throws {
        let (refusal, empty) = try offer { snapshot in
            try Self.craft(
                &snapshot,
                """
                INSERT INTO changes (replica, seq, kind, entity, op, clock, hlc_wall, hlc_counter, replaces, content)
                SELECT 'zzzzzzzzzzzzzzzzzzzzzzzzzz', 1, kind, entity, 'delete', '{}', 0, 0, '[]', NULL
                FROM changes WHERE kind = 'annotation' LIMIT 1;
                UPDATE remote SET cursor = cursor + 1;
                """)
            snapshot.claim.changes += 1
            snapshot.claim.position += 1
        }
        guard case .inconsistent(let detail)? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(detail.contains("replica id"), "\(detail)")
        #expect(empty)
    }

    @Test func aMalformedId() throws {
        let (refusal, empty) = try offer { snapshot in
            try Self.craft(
                &snapshot,
                """
                INSERT INTO changes (replica, seq, kind, entity, op, clock, hlc_wall, hlc_counter, replaces, content)
                VALUES ('ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 1, 'annotation', '../../etc/passwd', 'delete', '{}', 0, 0, '[]', NULL);
                UPDATE remote SET cursor = cursor + 1;
                """)
            snapshot.claim.changes += 1
            snapshot.claim.position += 1
        }
        guard case .inconsistent(let detail)? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(detail.contains("entity id"))
        #expect(empty)
    }

    @Test func anotherCorpusOrHistory() throws {
        let (otherCorpus, empty1) = try offer { snapshot in try Self.craft(&snapshot, "UPDATE remote SET corpus = 'other'") }
        guard case .claimMismatch? = otherCorpus else { Issue.record("refused as \(String(describing: otherCorpus))"); return }
        let (otherEpoch, empty2) = try offer { snapshot in snapshot.claim.epoch = "ffffffffffffffffffffffffffffffff" }
        guard case .claimMismatch? = otherEpoch else { Issue.record("refused as \(String(describing: otherEpoch))"); return }
        let (otherPosition, empty3) = try offer { snapshot in snapshot.claim.position += 5 }
        guard case .claimMismatch? = otherPosition else { Issue.record("refused as \(String(describing: otherPosition))"); return }
        let (announcedForAnother, empty4) = try offer { snapshot in snapshot.claim.corpus = "other" }
        guard case .claimMismatch? = announcedForAnother else {
            Issue.record("refused as \(String(describing: announcedForAnother))")
            return
        }
        #expect(empty1 && empty2 && empty3 && empty4)
    }

    @Test func aSnapshotCarryingAToken() throws {
        let (refusal, empty) = try offer { snapshot in try Self.craft(&snapshot, "UPDATE remote SET token = 'planted'") }
        guard case .claimMismatch? = refusal else { Issue.record("refused as \(String(describing: refusal))"); return }
        #expect(empty)
    }
}
