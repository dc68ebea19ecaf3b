import Foundation
import Testing

/// Bad input: exit 1, one line on stderr saying what to do, and nothing written.
@Suite struct FailureTests {
    /// Runs `arguments` on a seeded store, expects a clean failure mentioning `mentions`,
    /// and checks the store did not change.
    static func expectRefused(
        _ store: Store, _ arguments: [String], mentions: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessResult {
        let before = try await store.snapshot(sourceLocation: sourceLocation)
        let result = try await store.run(arguments)
        expectCleanFailure(result, mentions: mentions, sourceLocation: sourceLocation)
        let after = try await store.snapshot(sourceLocation: sourceLocation)
        #expect(before == after, "the store changed: \(before) → \(after)", sourceLocation: sourceLocation)
        return result
    }

    @Test func importingAMissingFileFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, _) = try await Store.seeded(in: directory)
            let missing = directory.path("no-such-article.txt")
            _ = try await Self.expectRefused(store, ["import", missing], mentions: [missing])
        }
    }

    @Test func importingAFileThatIsNotUTF8Fails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, _) = try await Store.seeded(in: directory)
            let bad = directory.file("latin1.txt")
            try Data([0xFF, 0xFE, 0x20, 0x64, 0x61, 0x74, 0x65, 0x20, 0xE7, 0x61, 0x6C, 0xFD, 0x0A]).write(to: bad)
            _ = try await Self.expectRefused(store, ["import", bad.path], mentions: [bad.path, "UTF-8"])
        }
    }

    @Test func importingAnEmptyFileFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, _) = try await Store.seeded(in: directory)
            let empty = directory.path("empty.txt")
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            _ = try await Self.expectRefused(store, ["import", empty], mentions: [empty, "empty"])
        }
    }

    /// design.md / `gloss import --help`: "a bad file named here stops the import before
    /// anything is written", even when a good file comes first.
    @Test func aBadFileNamedWithAGoodOneStopsTheWholeImport() async throws {
        try await withTemporaryDirectory { directory in
            let store = try await Store.create(in: directory)
            let bad = directory.file("bad.txt")
            try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: bad)
            _ = try await Self.expectRefused(store, ["import", Fixtures.seedPath, bad.path], mentions: [bad.path])
            #expect(try await store.objects(["articles"]).isEmpty)

            // Inside a folder the bad file is skipped with its reason and the good one imported.
            let folder = directory.file("corpus")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: folder.appendingPathComponent("bad.txt"))
            try FileManager.default.copyItem(at: Fixtures.seedURL, to: folder.appendingPathComponent("mosul.txt"))
            let imported = try await store.ok(["import", folder.path, "--json"])
            let summary = try imported.object()
            #expect(summary["articles"] as? Int == 1)
            let skipped = summary["skipped"] as? [[String: Any]] ?? []
            #expect(skipped.count == 1)
            #expect((skipped.first?["item"] as? String)?.hasSuffix("bad.txt") == true)
            #expect((skipped.first?["reason"] as? String)?.contains("UTF-8") == true)
        }
    }

    @Test func anUnknownIDFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            _ = try await store.annotate(article, ["--quote", "Kudüs"])
            let unknown = "0123456789abcdef"
            _ = try await Self.expectRefused(store, ["show", unknown], mentions: [unknown, "gloss articles"])
            _ = try await Self.expectRefused(store, ["annotate", unknown, "--quote", "Musul"], mentions: [unknown, "gloss articles"])
            _ = try await Self.expectRefused(store, ["edit", unknown, "--note", "x"], mentions: [unknown])
            _ = try await Self.expectRefused(store, ["delete", unknown], mentions: [unknown, "gloss annotations"])
            _ = try await Self.expectRefused(store, ["delete", "--article", unknown], mentions: [unknown, "gloss articles"])
            _ = try await Self.expectRefused(store, ["annotations", unknown], mentions: [unknown])
        }
    }

    @Test func aTooShortIDPrefixFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            // Even a true prefix of the article's id is refused below 6 characters.
            let short = String(article.prefix(3))
            _ = try await Self.expectRefused(store, ["show", "abc"], mentions: ["abc", "6"])
            _ = try await Self.expectRefused(store, ["annotate", short, "--quote", "Musul"], mentions: [short, "6"])
            // Six characters are enough.
            try await store.ok(["show", String(article.prefix(6))])
        }
    }

    @Test func aQuoteThatDoesNotOccurFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            _ = try await Self.expectRefused(
                store, ["annotate", article, "--quote", "Bağdat'ın"], mentions: ["Bağdat'ın", "--start"])
        }
    }

    @Test func aQuoteOccurringSeveralTimesNeedsOccurrence() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let offsets = try Fixtures.seedText().scalarOffsets(of: "Musul")
            try #require(offsets.count > 1)
            let result = try await Self.expectRefused(
                store, ["annotate", article, "--quote", "Musul", "--note", "hangisi?"],
                mentions: ["Musul", "\(offsets.count) times", "--occurrence"])
            for offset in offsets {
                #expect(result.stderr.contains("offset \(offset)"), "occurrence at \(offset) not listed: \(result.stderr)")
            }
        }
    }

    @Test func anOccurrenceOutOfRangeFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let count = try Fixtures.seedText().scalarOffsets(of: "Musul").count
            _ = try await Self.expectRefused(
                store, ["annotate", article, "--quote", "Musul", "--occurrence", String(count + 1)],
                mentions: ["--occurrence", String(count + 1), String(count)])
            // The last one is fine.
            try await store.ok(["annotate", article, "--quote", "Musul", "--occurrence", String(count)])
        }
    }

    @Test func anOffsetSpanOutsideTheTextFails() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let length = try Fixtures.seedText().scalarArray.count
            _ = try await Self.expectRefused(
                store, ["annotate", article, "--start", "10", "--end", String(length + 1)], mentions: [String(length + 1)])
            _ = try await Self.expectRefused(store, ["annotate", article, "--start", "8", "--end", "8"], mentions: ["8"])
            // Up to the very end is inside.
            let last = try await store.annotate(article, ["--start", String(length - 1), "--end", String(length)])
            #expect((last["target"] as? [String: Any])?["end"] as? Int == length)
        }
    }

    @Test func anUnwritableStorePathFails() async throws {
        try await withTemporaryDirectory { directory in
            // Tests run as root, so permissions stop nothing: put the store below a regular file.
            let blocker = directory.path("afile")
            _ = FileManager.default.createFile(atPath: blocker, contents: Data("not a folder\n".utf8))
            let path = blocker + "/sub/store.gloss"
            let result = try await Gloss.run(["init", "--store", path])
            expectCleanFailure(result, mentions: [path])
            var isFolder: ObjCBool = true
            #expect(FileManager.default.fileExists(atPath: blocker, isDirectory: &isFolder) && !isFolder.boolValue)
            #expect(try Data(contentsOf: URL(fileURLWithPath: blocker)) == Data("not a folder\n".utf8))

            let proc = try await Gloss.run(["init", "--store", "/proc/gloss-test/x.gloss"])
            expectCleanFailure(proc, mentions: ["/proc/gloss-test/x.gloss"])

            // Exporting to a path below a file fails the same way, and writes nothing.
            let (store, _) = try await Store.seeded(in: directory)
            _ = try await Self.expectRefused(
                store, ["export", "--format", "jsonl", "--out", blocker + "/out.jsonl"], mentions: [blocker + "/out.jsonl"])
            _ = try await Self.expectRefused(
                store, ["export", "--format", "brat", "--out", blocker + "/brat"], mentions: [blocker + "/brat"])
        }
    }

    @Test func aCommandOnAStoreThatDoesNotExistFails() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("never-created.gloss")
            for arguments in [["status"], ["articles", "--json"], ["import", Fixtures.seedPath], ["search", "musul"], ["doctor"]] {
                let result = try await Gloss.run(arguments + ["--store", path])
                expectCleanFailure(result, mentions: [path, "gloss init"])
                #expect(!FileManager.default.fileExists(atPath: path), "\(arguments) created the store")
            }
            let viaEnvironment = try await Gloss.run(["status"], environment: ["GLOSS_STORE": path])
            expectCleanFailure(viaEnvironment, mentions: [path, "gloss init"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
        }
    }
}

/// Usage errors: exit 2.
@Suite struct UsageErrorTests {
    @Test func usageErrorsExitTwoAndWriteNothing() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let before = try await store.snapshot()

            expectUsageError(try await store.run(["annotate", article]), mentions: ["--quote", "--start"])
            expectUsageError(try await store.run(["annotate", article, "--note", "only a note"]), mentions: ["--quote"])
            expectUsageError(try await store.run(["annotate", article, "--start", "3"]), mentions: ["--end"])
            expectUsageError(try await store.run(["annotate", article, "--quote", "Musul", "--start", "1", "--end", "3"]))
            expectUsageError(try await store.run(["annotate", article, "--quote", "Musul", "--occurrence", "0"]), mentions: ["--occurrence"])
            expectUsageError(try await store.run(["annotate", article, "--quote", "Musul", "--bogus"]), mentions: ["--bogus"])
            expectUsageError(try await store.run(["annotate", article, "--start", "x", "--end", "4"]), mentions: ["--start"])
            expectUsageError(try await store.run(["articles", "--bogus"]), mentions: ["--bogus"])
            expectUsageError(try await store.run(["export", "--format", "xml"]), mentions: ["xml"])
            expectUsageError(try await store.run(["export"]), mentions: ["--format"])
            expectUsageError(try await store.run(["log", "--limit", "0"]), mentions: ["--limit"])
            expectUsageError(try await store.run(["delete"]))
            expectUsageError(try await store.run(["delete", "abcdefgh", "--article", article]))
            expectUsageError(try await Gloss.run(["frobnicate"]), mentions: ["frobnicate"])
            expectUsageError(try await store.run(["search"]))

            #expect(try await store.snapshot() == before)
        }
    }

    /// `gloss edit ID` with nothing to change is the same kind of mistake as `gloss annotate
    /// ID` with no span: a usage error (exit 2), not a failure (exit 1).
    @Test func editWithNothingToChangeIsAUsageError() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let annotation = try #require(try await store.annotate(article, ["--quote", "Kudüs"])["id"] as? String)
            let before = try await store.snapshot()
            expectUsageError(try await store.run(["edit", annotation]), mentions: ["--note"])
            #expect(try await store.snapshot() == before)
        }
    }
}
