import Foundation
import Testing

/// Files the tests use, found from this source file: the sample corpus inside the
/// package, and the optional W3C conformance suite beside it.
enum Fixtures {
    /// The package root: this file is `<root>/Tests/GlossCLITests/Fixtures.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The sample corpus the repository carries (`examples/corpus/`).
    static let corpusURL = packageRoot.appendingPathComponent("examples/corpus", isDirectory: true)

    /// The main sample article: Turkish with an English tweet, in the seed format.
    static let seedURL = corpusURL.appendingPathComponent("musul-2016-12.txt")
    static var seedPath: String { seedURL.path }

    /// The W3C Web Annotation Working Group's `check_w3c.py`, when it can be found:
    /// in the folder `GLOSS_W3C_TESTS` names, else in `../shared/conformance` beside the
    /// package. It is someone else's data, so the repository does not carry it.
    static var w3cCheckerURL: URL? {
        var folders: [URL] = []
        if let named = ProcessInfo.processInfo.environment["GLOSS_W3C_TESTS"], !named.isEmpty {
            folders.append(URL(fileURLWithPath: named, isDirectory: true))
        }
        folders.append(packageRoot.appendingPathComponent("../shared/conformance", isDirectory: true).standardizedFileURL)
        return folders.map { $0.appendingPathComponent("check_w3c.py") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    static func seedData() throws -> Data { try Data(contentsOf: seedURL) }

    /// The seed article's text (strict UTF-8; the file is NFC already).
    static func seedText() throws -> String {
        try #require(String(data: try seedData(), encoding: .utf8), "the seed file is not UTF-8")
    }

    /// The lead sentence: the first line without its ` date YYYY-MM ` head.
    static func leadSentence() throws -> String {
        let firstLine = try #require(try seedText().split(separator: "\n", omittingEmptySubsequences: false).first)
        let head = " date 2016-12 "
        try #require(firstLine.hasPrefix(head), "the seed's first line does not start with '\(head)'")
        return firstLine.dropFirst(head.count).trimmingCharacters(in: .whitespaces)
    }

    /// The article id design.md specifies, computed independently with Python:
    /// the first 16 bytes (32 hex digits) of SHA-256 of the file's NFC text.
    static func expectedArticleID(of path: String = seedPath) async throws -> String {
        let script = """
            import hashlib, sys, unicodedata
            text = open(sys.argv[1], encoding='utf-8', newline='').read()
            print(hashlib.sha256(unicodedata.normalize('NFC', text).encode('utf-8')).hexdigest()[:32])
            """
        let result = try await Runner.tool("python3", ["-c", script, path])
        try #require(result.status == 0, "python3 failed: \(result)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

// MARK: - Unicode scalar offsets (what the CLI counts, as Python's str does)

extension String {
    var scalarArray: [Unicode.Scalar] { Array(unicodeScalars) }

    /// The text of scalars `start..<end`.
    func scalarSlice(_ start: Int, _ end: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalarArray[start..<end])
        return String(view)
    }

    /// Every scalar offset where `needle` starts (overlapping matches included).
    func scalarOffsets(of needle: String) -> [Int] {
        let haystack = scalarArray
        let pattern = needle.scalarArray
        guard !pattern.isEmpty, pattern.count <= haystack.count else { return [] }
        var offsets: [Int] = []
        for start in 0...(haystack.count - pattern.count) where Array(haystack[start..<(start + pattern.count)]) == pattern {
            offsets.append(start)
        }
        return offsets
    }
}

// MARK: - A store in a temporary folder

/// A store path, with `--store PATH` added to every command.
struct Store {
    let path: String

    func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> ProcessResult {
        try await Gloss.run(arguments + ["--store", path], stdin: stdin, environment: environment)
    }

    /// Runs the command and requires exit 0.
    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
        let result = try await run(arguments)
        try #require(result.status == 0, "expected success: \(result)", sourceLocation: sourceLocation)
        return result
    }

    /// `gloss ARGUMENTS --json` parsed as an object.
    func object(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        try await ok(arguments + ["--json"], sourceLocation: sourceLocation).object()
    }

    /// `gloss ARGUMENTS --json` parsed as an array of objects.
    func objects(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        try await ok(arguments + ["--json"], sourceLocation: sourceLocation).objects()
    }

    func status(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        try await object(["status"], sourceLocation: sourceLocation)
    }

    /// The whole log, newest first.
    func log(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        try await objects(["log", "--limit", "1000000"], sourceLocation: sourceLocation)
    }

    /// What a failed command must leave unchanged: the counts of `status` and the log.
    func snapshot(sourceLocation: SourceLocation = #_sourceLocation) async throws -> StoreSnapshot {
        let status = try await status(sourceLocation: sourceLocation)
        let log = try await log(sourceLocation: sourceLocation)
        return StoreSnapshot(
            replica: status["replica"] as? String ?? "?",
            counts: ["articles", "annotations", "changes", "localChanges", "openConflicts"].map { status[$0] as? Int ?? -1 },
            versions: log.map { $0["version"] as? String ?? "?" })
    }

    /// Creates the store with `gloss init --name ayşe`.
    static func create(in directory: TemporaryDirectory, name: String = "store.gloss") async throws -> Store {
        let store = Store(path: directory.path(name))
        try await store.ok(["init", "--name", "ayşe"])
        return store
    }

    /// Creates a store and imports the seed article; returns the store and the article's id.
    static func seeded(in directory: TemporaryDirectory, name: String = "store.gloss") async throws -> (Store, String) {
        let store = try await create(in: directory, name: name)
        try await store.ok(["import", Fixtures.seedPath])
        let articles = try await store.objects(["articles"])
        try #require(articles.count == 1)
        return (store, try #require(articles[0]["id"] as? String))
    }

    /// `gloss annotate ARTICLE ARGUMENTS --json`; returns the new annotation.
    @discardableResult
    func annotate(_ article: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> [String: Any]
    {
        try await object(["annotate", article] + arguments, sourceLocation: sourceLocation)
    }
}

struct StoreSnapshot: Equatable, CustomStringConvertible {
    let replica: String
    /// articles, annotations, changes, localChanges, openConflicts.
    let counts: [Int]
    /// Every change's version, newest first.
    let versions: [String]

    var description: String { "replica \(replica), counts \(counts), \(versions.count) log entries" }
}

// MARK: - Expectations

/// A failure as design.md wants it: exit 1, nothing on stdout, exactly one line on stderr
/// (`gloss: what happened; what to do`) that mentions each of `mentions` and says what to do.
func expectCleanFailure(
    _ result: ProcessResult, mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) {
    expectOneLineFailure(result, mentions: mentions, sourceLocation: sourceLocation)
    let line = String(result.stderr.split(separator: "\n").first ?? "")
    #expect(saysWhatToDo(line), "the message should say what to do, not only what happened: \(line)", sourceLocation: sourceLocation)
}

/// Exit 1, nothing on stdout, exactly one line `gloss: …` on stderr mentioning each of `mentions`.
func expectOneLineFailure(
    _ result: ProcessResult, mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == 1, "exit code: \(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "stdout should be empty: \(result)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(
        lines.count == 2 && lines[1].isEmpty && !lines[0].isEmpty,
        "stderr should be exactly one line: \(result)", sourceLocation: sourceLocation)
    let line = String(lines.first ?? "")
    #expect(line.hasPrefix("gloss: "), "stderr should start with 'gloss: ': \(line)", sourceLocation: sourceLocation)
    for text in mentions {
        #expect(line.contains(text), "stderr should mention '\(text)': \(line)", sourceLocation: sourceLocation)
    }
}

/// Whether an error line tells the user what to do. The CLI writes "what happened; what
/// to do" (or "…: what to do"): some clause after the first starts with an imperative
/// ("check the path", "give at least 6 characters", "list them with …", "or use …") or
/// names an option or command to use ("articles take --title …", "… with 'gloss init'").
func saysWhatToDo(_ line: String) -> Bool {
    let imperatives: Set<String> = [
        "add", "ask", "check", "choose", "convert", "create", "delete", "edit", "fix", "free", "give", "import", "list",
        "make", "pick", "point", "put", "remove", "rename", "resolve", "run", "see", "select", "set", "start", "try",
        "use", "wait", "write",
    ]
    let message = line.hasPrefix("gloss: ") ? String(line.dropFirst("gloss: ".count)) : line
    let clauses = message.components(separatedBy: "; ").flatMap { $0.components(separatedBy: ": ") }.dropFirst()
    return clauses.contains { clause in
        var words = clause.lowercased().split(separator: " ").map(String.init)
        while let first = words.first, ["or", "then", "and", "please"].contains(first) { words.removeFirst() }
        guard let verb = words.first else { return false }
        return imperatives.contains(verb) || clause.contains(" --") || clause.hasPrefix("--") || clause.contains("'gloss ")
    }
}

/// A usage error: exit 2, nothing on stdout, a message on stderr.
func expectUsageError(_ result: ProcessResult, mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 2, "exit code: \(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "stdout should be empty: \(result)", sourceLocation: sourceLocation)
    #expect(!result.stderr.isEmpty, "stderr should say what is wrong: \(result)", sourceLocation: sourceLocation)
    for text in mentions {
        #expect(result.stderr.contains(text), "stderr should mention '\(text)': \(result)", sourceLocation: sourceLocation)
    }
}

/// The heuristic above, on messages the CLI really writes.
@Suite struct MessageHeuristicTests {
    @Test func saysWhatToDoTellsAdviceFromAMereReport() {
        let advising = [
            "gloss: nope.txt does not exist; check the path",
            "gloss: id 'abc' is too short: give at least 6 characters of it",
            "gloss: no article with id 'zzzzzzzz'; list them with 'gloss articles'",
            "gloss: the quote 'Musul' occurs 2 times (1: offset 36, line 1 column 37; 2: offset 632, line 17 column 19); choose one with --occurrence N",
            "gloss: cannot write x/y: The file doesn’t exist.; check the path and its permissions",
            "gloss: no Gloss store at s.gloss; create one with 'gloss init' or point --store/GLOSS_STORE at one",
            "gloss: 0123456789 is an article; articles take --title, --add-tag and --remove-tag",
        ]
        let reporting = [
            "gloss: cannot import empty.txt: it is empty",
            "gloss: --occurrence 6 is out of range: the quote occurs 5 times",
            "gloss: span 8..<8 is not inside the text (0..<2049) or is empty",
            "gloss: something went wrong",
        ]
        for line in advising { #expect(saysWhatToDo(line), "\(line)") }
        for line in reporting { #expect(!saysWhatToDo(line), "\(line)") }
    }
}
