import Foundation
import Testing

/// `gloss history` and `gloss restore` as real processes: alone, and on replicas synced
/// through a real `gloss-server`.
@Suite struct HistoryRestoreTests {
    /// The versions `gloss history ID --json` lists, oldest first.
    static func versions(_ store: Store, _ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        let history = try await store.object(["history", id], sourceLocation: sourceLocation)
        #expect(history["id"] as? String == id, "\(history)", sourceLocation: sourceLocation)
        return history["versions"] as? [[String: Any]] ?? []
    }

    static func note(_ version: [String: Any]) -> String? {
        (version["content"] as? [String: Any])?["note"] as? String
    }

    /// The version whose note is `note`.
    static func version(noting note: String, in versions: [[String: Any]]) throws -> [String: Any] {
        try #require(versions.first { Self.note($0) == note }, "no version notes '\(note)': \(versions)")
    }

    @Test(arguments: SyncBackend.enabled) func concurrentNotesShowInHistoryAndARestoreSettlesThemEverywhere(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await SyncTests.pair(server, directory)
            try await pair.editNoteConcurrently(a: "A'nın notu", b: "B'nin notu")
            var listed: [[String]] = []
            for store in [pair.a, pair.b] {
                let versions = try await Self.versions(store, pair.annotation)
                try #require(versions.count == 3, "\(versions)")
                #expect(Self.note(versions[0]) == "ilk not" && versions[0]["shown"] as? Bool == false, "\(versions)")
                #expect((versions[0]["concurrentWith"] as? [String])?.isEmpty == true)
                let byA = try Self.version(noting: "A'nın notu", in: versions)
                let byB = try Self.version(noting: "B'nin notu", in: versions)
                #expect(byA["author"] as? String == "ayse" && byB["author"] as? String == "bora", "\(versions)")
                #expect(byA["shown"] as? Bool == true && byB["shown"] as? Bool == true)
                #expect(byA["concurrentWith"] as? [String] == [byB["version"] as? String ?? "?"], "\(versions)")
                #expect(byB["concurrentWith"] as? [String] == [byA["version"] as? String ?? "?"], "\(versions)")
                listed.append(versions.map { $0["version"] as? String ?? "?" })
            }
            #expect(listed[0] == listed[1], "both replicas list the same versions in the same order")

            // B brings the original note back: one new version replacing both.
            let original = try #require(try await Self.versions(pair.b, pair.annotation).first?["version"] as? String)
            let restored = try await pair.b.object(["restore", String(pair.annotation.prefix(8)), "--to", original])
            #expect(restored["changed"] as? Bool == true && restored["restored"] as? String == original, "\(restored)")
            #expect(restored["op"] as? String == "put" && restored["entity"] as? String == pair.annotation, "\(restored)")
            #expect((restored["replaces"] as? [String])?.count == 2, "\(restored)")
            let newVersion = try #require(restored["version"] as? String)
            try await pair.b.sync()
            try await pair.a.sync()
            for store in [pair.a, pair.b] {
                #expect(try await store.annotation(pair.annotation)["note"] as? String == "ilk not", "\(store.path)")
                #expect(try await store.conflicts().isEmpty, "\(store.path)")
                let versions = try await Self.versions(store, pair.annotation)
                #expect(versions.filter { $0["shown"] as? Bool == true }.map { $0["version"] as? String } == [newVersion])
                try await store.expectDoctorPasses()
            }
            #expect(try await pair.a.export("jsonl") == pair.b.export("jsonl"))
        }
    }

    @Test(arguments: SyncBackend.enabled) func aDeletionIsUndoneByRestoringTheVersionBeforeIt(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await SyncTests.pair(server, directory)
            try await pair.a.ok(["delete", pair.annotation])
            try await pair.a.sync()
            try await pair.b.sync()
            #expect(try await pair.b.objects(["annotations"]).isEmpty)
            let versions = try await Self.versions(pair.b, pair.annotation)
            #expect(versions.map { $0["op"] as? String } == ["put", "delete"], "\(versions)")
            #expect(versions[1]["content"] is NSNull, "a deletion has no content: \(versions)")
            let text = try await pair.b.ok(["restore", pair.annotation, "--to", try #require(versions[0]["version"] as? String)]).stdout
            #expect(text.hasPrefix("Restored annotation \(pair.annotation)"), "\(text)")
            try await pair.b.sync()
            try await pair.a.sync()
            for store in [pair.a, pair.b] {
                #expect(try await store.annotation(pair.annotation)["note"] as? String == "ilk not", "\(store.path)")
                #expect(try await store.conflicts().isEmpty)
            }
            #expect(try await pair.a.export("jsonl") == pair.b.export("jsonl"))
        }
    }

    @Test func theTableMarksWhatIsShownAndARepeatedRestoreChangesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let id = try #require(try await store.annotate(article, ["--quote", "Kudüs", "--note", "eski not", "--label", "LOC"])["id"] as? String)
            try await store.ok(["edit", id, "--note", "yeni not"])
            let table = try await store.ok(["history", id]).stdout
            let lines = table.split(separator: "\n").map(String.init)
            #expect(lines.first == "annotation \(id)", "\(table)")
            #expect(lines.count == 5 && lines[1].hasPrefix("#") && lines[1].contains("VERSION"), "\(table)")
            #expect(lines[2].hasPrefix("1 ") && lines[2].contains("eski not") && lines[2].contains("this replica (ayşe)"), "\(table)")
            #expect(lines[3].hasPrefix("2*") && lines[3].contains("yeni not") && lines[3].contains("[LOC]"), "\(table)")
            let first = try #require(try await Self.versions(store, id).first?["version"] as? String)
            #expect(try await store.ok(["restore", id, "--to", first]).stdout.contains("as new version"))
            let again = try await store.object(["restore", id, "--to", first.lowercased()])
            #expect(again["changed"] as? Bool == false && again["version"] == nil, "\(again)")
            #expect(try await store.ok(["restore", id, "--to", first]).stdout.contains("nothing changed"))
            #expect(try await store.annotation(id)["note"] as? String == "eski not")
        }
    }

    @Test func badInputExitsOneWithOneLineAndChangesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let id = try #require(try await store.annotate(article, ["--quote", "Kudüs", "--note", "not"])["id"] as? String)
            try await store.ok(["delete", id])
            let versions = try await Self.versions(store, id)
            let (put, deletion) = (try #require(versions[0]["version"] as? String), try #require(versions[1]["version"] as? String))
            let articleVersion = try #require(try await Self.versions(store, article).first?["version"] as? String)
            let replica = String(put.prefix { $0 != ":" })
            let before = try await store.snapshot()

            expectCleanFailure(try await store.run(["history", "zzzzzzzz"]), mentions: ["zzzzzzzz"])
            expectCleanFailure(try await store.run(["restore", "zzzzzzzz", "--to", put]), mentions: ["zzzzzzzz"])
            for malformed in ["nonsense", "\(replica):0", "\(replica)", ":3"] {
                expectCleanFailure(try await store.run(["restore", id, "--to", malformed]), mentions: ["'\(malformed)'", "REPLICA:SEQ"])
            }
            expectCleanFailure(try await store.run(["restore", id, "--to", deletion]), mentions: [deletion, "is a deletion", "pick one with content"])
            expectCleanFailure(try await store.run(["restore", id, "--to", articleVersion]), mentions: [articleVersion, article])
            expectCleanFailure(try await store.run(["restore", id, "--to", "\(replica):999"]), mentions: ["\(replica):999", id, "gloss history"])
            expectUsageError(try await store.run(["restore", id]), mentions: ["--to"])
            #expect(try await store.snapshot() == before, "a refused restore changed the store")
        }
    }
}

extension SyncTests.Pair {
    /// A and B change the note offline, then sync until each holds both versions.
    func editNoteConcurrently(a noteA: String, b noteB: String) async throws {
        try await a.ok(["edit", annotation, "--note", noteA])
        try await b.ok(["edit", annotation, "--note", noteB])
        for store in [a, b, a] { try await store.sync() }
    }
}
