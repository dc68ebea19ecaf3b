import Foundation
import GlossCore
@testable import GlossFileModes
import Testing
@testable import GlossStore

/// The store holds the remote's bearer token: it is made private and kept private.
///
/// Tests run in parallel in one process, so none changes the umask: new files are checked
/// for exactly 0600, which the usual umask (022) would not give by itself.
@Suite struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    /// A store created at `path` and closed again (its connections gone with it).
    static func closedStore(at path: String) throws {
        let store = try GlossDatabase.create(at: path, name: "ayşe")
        try store.setRemote(url: "http://127.0.0.1:9", corpus: "news", token: "gloss_secret", cacert: nil)
    }

    @Test func aNewStoreAndTheFoldersMadeForItArePrivate() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("made/for/it/a.gloss").path
        let store = try GlossDatabase.create(at: path, name: "ayşe")
        _ = try store.importItems([.article(try SeedFormat.parse(try Fixtures.seedText, source: "seed.txt"), authoritative: false)])
        // SQLite made -wal and -shm from the store file's mode while the store is open.
        for suffix in ["", "-wal", "-shm"] {
            #expect(FileManager.default.fileExists(atPath: path + suffix), "\(suffix) is missing")
            #expect(try Self.mode(path + suffix) == 0o600, "a.gloss\(suffix)")
        }
        for made in ["made", "made/for", "made/for/it"] {
            #expect(try Self.mode(folder.appendingPathComponent(made).path) == 0o700, "\(made)")
        }
        #expect(store.loosePermissions.isEmpty)
        #expect(try GlossDatabase.open(at: path).loosePermissions.isEmpty)
    }

    @Test func anExistingFolderIsLeftAsItIs() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        try Self.closedStore(at: folder.appendingPathComponent("a.gloss").path)
        #expect(try Self.mode(folder.path) == 0o755)
    }

    @Test func aStoreReadableByOthersIsTightenedOnOpenAndSaysSo() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.gloss").path
        try Self.closedStore(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)

        let store = try GlossDatabase.open(at: path)
        #expect(try Self.mode(path) == 0o600)
        let found = try #require(store.loosePermissions.first)
        #expect(store.loosePermissions.count == 1)
        #expect(found.path == path && found.mode == 0o644 && found.isTightened)
        #expect(LoosePermissions.notice(store.loosePermissions) == "tightened permissions of \(path) to 0600 (it was readable by other users)")
        #expect(try store.remote()?.token == "gloss_secret", "the store still works")
        #expect(try GlossDatabase.open(at: path).loosePermissions.isEmpty, "only once")
    }

    @Test func aLooseWALOrSHMIsTightenedToo() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.gloss").path
        // Kept open, so its -wal and -shm exist while another opens the store.
        let first = try GlossDatabase.create(at: path, name: "ayşe")
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: path + "-wal")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path + "-shm")
        let second = try GlossDatabase.open(at: path)
        #expect(second.loosePermissions.map(\.path) == [path + "-wal", path + "-shm"])
        #expect(second.loosePermissions.map(\.exposure) == ["readable and writable by other users", "readable by other users"])
        for suffix in ["-wal", "-shm"] { #expect(try Self.mode(path + suffix) == 0o600) }
        #expect(try first.replicaInfo().id == second.replicaInfo().id)
    }

    @Test func doctorFlagsAStoreThatWasReadableByOthers() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.gloss").path
        try Self.closedStore(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)

        let report = try GlossDatabase.open(at: path).doctor()
        #expect(!report.isHealthy)
        #expect(report.loosePermissions.count == 1)
        let problem = try #require(report.problems.first)
        #expect(problem.hasPrefix("\(path) was readable by other users (mode 0644); tightened to 0600"), "\(problem)")
        #expect(problem.contains("token"), "it holds a token: \(problem)")
        guard case .object(let json) = report.json, case .array(let loose)? = json["loose_permissions"] else {
            Issue.record("no loose_permissions in \(report.json)")
            return
        }
        #expect(loose == [.object(["path": .string(path), "mode": .string("0644"), "tightened": .bool(true)])])
        #expect(json["healthy"] == .bool(false))
        // Found once: the file is private now.
        #expect(try GlossDatabase.open(at: path).doctor().isHealthy)
    }

    @Test func aStoreOfAnotherUserIsLeftAsItIsAndReported() throws {
        // Only root can give a file away; as root, opening another user's store still works.
        guard geteuid() == 0 else { return }
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.gloss").path
        try Self.closedStore(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try #require(chown(path, 65534, 65534) == 0, "chown: errno \(errno)")

        let store = try GlossDatabase.open(at: path)
        #expect(try Self.mode(path) == 0o644, "not ours to change")
        #expect(store.loosePermissions.map(\.outcome) == [.ownedByAnotherUser(uid: 65534)])
        #expect(LoosePermissions.notice(store.loosePermissions) == nil, "nothing was tightened")
        let problem = try #require(try store.doctor().problems.first)
        #expect(problem.contains("is readable by other users (mode 0644) and belongs to user 65534"), "\(problem)")
        #expect(problem.contains("chmod 0600 \(path)"), "\(problem)")
    }

    @Test func noticesNameEveryFileInOneLine() {
        func found(_ path: String, _ mode: UInt32, folder: Bool = false) -> LoosePermissions {
            LoosePermissions(path: path, mode: mode, wanted: folder ? 0o700 : 0o600, isFolder: folder, outcome: .tightened)
        }
        #expect(
            LoosePermissions.notice([found("a.gloss", 0o644), found("a.gloss-wal", 0o644)])
                == "tightened permissions of a.gloss and a.gloss-wal to 0600 (they were readable by other users)")
        #expect(
            LoosePermissions.notice([found("data", 0o755, folder: true), found("data/gloss.sqlite", 0o664)])
                == "tightened permissions of data to 0700 and data/gloss.sqlite to 0600 (they were open to other users)")
        #expect(found("x", 0o620).exposure == "writable by other users")
        #expect(found("x", 0o601).exposure == "open to other users")
    }

    @Test func aFolderCannotBeMadeBelowAFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("afile").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect(throws: StoreError.self) { try GlossDatabase.create(at: file + "/sub/a.gloss") }
        #expect(throws: StoreError.storeExists(path: file)) { try GlossDatabase.create(at: file) }
    }
}
