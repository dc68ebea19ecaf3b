import Foundation
import GlossCore
import GlossServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

// MARK: - A server per test

/// One test's server: its own storage on one backend (a fresh SQLite database in a
/// temporary directory, or a fresh PostgreSQL database; tests take `TestBackend.enabled` as
/// arguments, so each runs once per backend and a failure names it), a corpus `news` and
/// tokens for it (write tokens of `ayse` and `bora`, a read token of `cem`, an admin token
/// of `deniz`), and a second corpus `sports` with a write token of `ayse` and an admin
/// token of `deniz`.
struct TestServer: Sendable {
    /// Scratch files of the test (and the SQLite database).
    let directory: URL
    let backend: TestBackend
    let storage: any Storage
    /// Opens a second storage on the same data, as another server process would.
    let reopen: @Sendable () async throws -> any Storage
    let metrics: ServerMetrics
    let limits: Limits
    /// The background snapshot builds, when the test asked for them (`snapshotEvery`).
    var snapshots: AutoSnapshots? = nil

    static let corpus = "news"
    static let otherCorpus = "sports"

    /// Bearer tokens (the secrets; the storage only ever sees their hashes).
    let ayse: String
    let bora: String
    let reader: String
    let sportsWriter: String
    let admin: String
    let sportsAdmin: String

    /// Runs `body` against a fresh server on `backend` and cleans up afterwards.
    @discardableResult
    static func with<T: Sendable>(
        backend: TestBackend, limits: Limits = .default, snapshotEvery: Int64 = 0,
        _ body: @Sendable (TestServer, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gloss-server-tests-\(UUID().uuidString)", isDirectory: true)
        // Private, as a data folder should be (check() would report a looser one).
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.makeDatabase(in: directory)
        let storage: any Storage
        do {
            storage = try await database.open()
        } catch {
            try? await database.drop()
            throw error
        }
        do {
            _ = try await storage.createCorpus(name: corpus)
            _ = try await storage.createCorpus(name: otherCorpus)
            var server = TestServer(
                directory: directory, backend: backend, storage: storage, reopen: database.open, metrics: ServerMetrics(), limits: limits,
                ayse: try await makeToken(storage, corpus: corpus, user: "ayse", scope: .write),
                bora: try await makeToken(storage, corpus: corpus, user: "bora", scope: .write),
                reader: try await makeToken(storage, corpus: corpus, user: "cem", scope: .read),
                sportsWriter: try await makeToken(storage, corpus: otherCorpus, user: "ayse", scope: .write),
                admin: try await makeToken(storage, corpus: corpus, user: "deniz", scope: .admin),
                sportsAdmin: try await makeToken(storage, corpus: otherCorpus, user: "deniz", scope: .admin))
            if snapshotEvery > 0 {
                server.snapshots = AutoSnapshots(
                    storage: storage, every: snapshotEvery, metrics: server.metrics, logger: Logger(label: "gloss-server-tests"))
            }
            let app = Application(
                router: GlossApplication.router(storage: storage, limits: limits, metrics: server.metrics, snapshots: server.snapshots))
            let value = try await app.test(.router) { [server] client in try await body(server, client) }
            await server.snapshots?.waitForBuilds()
            await storage.shutdown()
            try await database.drop()
            return value
        } catch {
            await storage.shutdown()
            try? await database.drop()
            throw error
        }
    }

    static func makeToken(_ storage: any Storage, corpus: String, user: String, scope: Scope) async throws -> String {
        let token = Tokens.generate()
        _ = try await storage.createToken(corpus: corpus, user: user, scope: scope, hash: Tokens.hash(token))
        return token
    }
}

// MARK: - Requests

/// The headers every corpus request sends.
func syncHeaders(token: String?, protocolVersion: String? = "1", extra: [(HTTPField.Name, String)] = []) -> HTTPFields {
    var headers = HTTPFields()
    if let protocolVersion { headers[.glossProtocol] = protocolVersion }
    if let token { headers[.authorization] = "Bearer \(token)" }
    headers[.contentType] = "application/json"
    for (name, value) in extra { headers[name] = value }
    return headers
}

func changesURI(_ corpus: String = TestServer.corpus) -> String { "/v1/corpora/\(corpus)/changes" }

/// `{"replica": …, "changes": [ … ]}` from changes' wire JSON.
func pushBody(replica: ReplicaID, wires: [String]) -> String {
    "{\"replica\":\"\(replica)\",\"changes\":[" + wires.joined(separator: ",") + "]}"
}

func pushBody(replica: ReplicaID, changes: [Change]) -> String {
    pushBody(replica: replica, wires: changes.map(\.jsonString))
}

/// What a test reads out of an answer.
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let bytes: [UInt8]

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The body as JSON (failing the test when it is not).
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes: bytes)
        } catch {
            Issue.record("the answer is not JSON (\(error)): \(text)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// `error.code` of a refusal.
    var errorCode: String? { (try? JSONParser.parse(bytes: bytes))?["error"]?["code"]?.stringValue }
    var errorMessage: String? { (try? JSONParser.parse(bytes: bytes))?["error"]?["message"]?.stringValue }
}

extension TestClientProtocol {
    func send(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields, body: [UInt8]? = nil
    ) async throws -> Answer {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) { response in
            Answer(status: response.status, headers: response.headers, bytes: Array(response.body.readableBytesView))
        }
    }

    func push(token: String?, body: String, corpus: String = TestServer.corpus, headers extra: [(HTTPField.Name, String)] = [])
        async throws -> Answer
    {
        try await send(.post, changesURI(corpus), headers: syncHeaders(token: token, extra: extra), body: Array(body.utf8))
    }

    func push(token: String, replica: ReplicaID, changes: [Change], corpus: String = TestServer.corpus) async throws -> Answer {
        try await push(token: token, body: pushBody(replica: replica, changes: changes), corpus: corpus)
    }

    func pull(token: String?, query: String = "", corpus: String = TestServer.corpus, headers extra: [(HTTPField.Name, String)] = [])
        async throws -> Answer
    {
        let uri = changesURI(corpus) + (query.isEmpty ? "" : "?" + query)
        return try await send(.get, uri, headers: syncHeaders(token: token, extra: extra))
    }

    /// Pulls one page and decodes it, expecting a 200.
    func pullPage(token: String, query: String = "", corpus: String = TestServer.corpus, sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> Page
    {
        let answer = try await pull(token: token, query: query, corpus: corpus)
        #expect(answer.status == .ok, "pull \(query): \(answer.text)", sourceLocation: sourceLocation)
        return try Page(answer.json(sourceLocation: sourceLocation), sourceLocation: sourceLocation)
    }

    /// Every change of the corpus, pulled page by page from the start.
    func pullAll(token: String, corpus: String = TestServer.corpus) async throws -> [Change] {
        var changes: [Change] = []
        var cursor: Int64 = 0
        for _ in 0..<1_000 {
            let page = try await pullPage(token: token, query: "after=\(cursor)", corpus: corpus)
            changes += page.changes
            cursor = page.cursor
            if !page.more { return changes }
        }
        Issue.record("the pull never ended")
        return changes
    }
}

/// A decoded pull page.
struct Page: Sendable {
    let changes: [Change]
    let cursor: Int64
    let more: Bool

    init(_ json: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let array = try #require(json["changes"]?.arrayValue, "a page has 'changes'", sourceLocation: sourceLocation)
        changes = try array.map { try Change(json: $0) }
        cursor = try #require(json["cursor"]?.intValue, "a page has 'cursor'", sourceLocation: sourceLocation)
        guard case .bool(let more)? = json["more"] else {
            Issue.record("a page has a boolean 'more'", sourceLocation: sourceLocation)
            throw PageError.noMore
        }
        self.more = more
    }

    enum PageError: Error { case noMore }
}

/// Checks a push answer `{"stored", "duplicates", "maxSeq"}`.
func expectPushed(
    _ answer: Answer, stored: Int, duplicates: Int, maxSeq: Int, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(answer.status == .ok, "push answered \(answer.status): \(answer.text)", sourceLocation: sourceLocation)
    let json = try answer.json(sourceLocation: sourceLocation)
    #expect(json["stored"]?.intValue == Int64(stored), "stored, in \(answer.text)", sourceLocation: sourceLocation)
    #expect(json["duplicates"]?.intValue == Int64(duplicates), "duplicates, in \(answer.text)", sourceLocation: sourceLocation)
    #expect(json["maxSeq"]?.intValue == Int64(maxSeq), "maxSeq, in \(answer.text)", sourceLocation: sourceLocation)
}

/// Checks a refusal: its status and `{"error": {"code", "message"}}` with a non-empty message.
func expectRefused(
    _ answer: Answer, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(answer.status == status, "expected \(status) \(code), got \(answer.status): \(answer.text)", sourceLocation: sourceLocation)
    let json = try? JSONParser.parse(bytes: answer.bytes)
    #expect(json?["error"]?["code"]?.stringValue == code, "error code, in \(answer.text)", sourceLocation: sourceLocation)
    let message = json?["error"]?["message"]?.stringValue ?? ""
    #expect(!message.isEmpty, "error message, in \(answer.text)", sourceLocation: sourceLocation)
    #expect(
        answer.headers[.contentType]?.hasPrefix("application/json") == true, "refusals are JSON", sourceLocation: sourceLocation)
}

// MARK: - Changes

/// Builds a replica's changes with consecutive seqs, the way a client would.
struct ReplicaLog {
    let replica: ReplicaID
    private(set) var seq: UInt64 = 0
    var wall: Int64 = 1_480_550_400_000

    init(_ replica: ReplicaID = .random()) { self.replica = replica }

    /// The next change of this replica. `clock` holds other replicas' entries the new
    /// version includes (its own dot is added).
    mutating func next(
        kind: EntityKind, entity: String, operation: ChangeOperation = .put, content: EntityContent?,
        clock: VectorClock = VectorClock(), replaces: [Dot] = [], author: String? = nil
    ) -> Change {
        seq += 1
        wall += 1_000
        let dot = Dot(replica: replica, seq: seq)
        return Change(
            dot: dot, kind: kind, entity: entity, operation: operation, clock: clock.including(dot),
            timestamp: HybridTimestamp(wallMilliseconds: wall), replaces: replaces,
            content: content.map { CanonicalJSON.string(.object($0)) }, author: author)
    }

    mutating func put(_ article: Article, author: String? = nil) -> Change {
        next(kind: .article, entity: article.id, content: article.content, author: author)
    }

    mutating func put(_ annotation: Annotation, clock: VectorClock = VectorClock(), replaces: [Dot] = []) -> Change {
        next(kind: .annotation, entity: annotation.id, content: annotation.content, clock: clock, replaces: replaces)
    }
}

/// A seed-like article: Turkish news text, NFC, with a date line's `YYYY-MM`.
func sampleArticle(_ n: Int = 0, extraText: String = "") -> Article {
    let text = """
        Musul'da çatışmalar sürüyor (\(n)). Irak ordusu şehrin doğusundaki mahallelere ilerledi; \
        sivillerin kaçışı devam ediyor. İnsani yardım kuruluşları, kış koşullarında yüz binlerce \
        kişinin yardıma ihtiyaç duyduğunu açıkladı.\(extraText)
        """
    return Article(title: "Musul'da son durum \(n)", date: "2016-12", text: text, source: "test", language: "tr")
}

/// An annotation on `article` of the scalars `start..<end`, its quote sliced from the text.
func sampleAnnotation(on article: Article, start: Int = 0, end: Int = 5, note: String? = "yer adı", id: String = Annotation.newID())
    throws -> Annotation
{
    let target = try TextSelector(text: ScalarText(article.text), start: start, end: end)
    return Annotation(id: id, article: article.id, target: target, note: note, tags: ["yer"], label: "LOC")
}

/// A change's wire JSON with some fields replaced (or removed, with `nil`).
func editedWire(_ change: Change, _ edits: [String: JSONValue?]) throws -> String {
    var object = try #require(JSONParser.parse(change.jsonString).objectValue)
    for (key, value) in edits {
        if let value { object[key] = value } else { object.removeValue(forKey: key) }
    }
    return CanonicalJSON.string(.object(object))
}

// MARK: - gzip through /usr/bin/gzip

enum Gzip {
    /// Runs `/usr/bin/gzip` on a file and returns its standard output.
    private static func run(_ arguments: [String], input: URL) throws -> [UInt8] {
        let output = input.appendingPathExtension("out")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else { throw GzipError.cannotCreate(output.path) }
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        process.arguments = arguments + [input.path]
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        guard process.terminationStatus == 0 else { throw GzipError.failed(process.terminationStatus) }
        return Array(try Data(contentsOf: output))
    }

    static func compress(_ bytes: [UInt8], in directory: URL) throws -> [UInt8] {
        let input = directory.appendingPathComponent("gzip-in-\(UUID().uuidString)")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        return try run(["-c", "-n"], input: input)
    }

    /// `count` zero bytes, compressed (a gzip bomb when `count` is large).
    static func compressedZeros(count: Int, in directory: URL) throws -> [UInt8] {
        let input = directory.appendingPathComponent("zeros-\(UUID().uuidString)")
        try Data(count: count).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        return try run(["-c", "-n"], input: input)
    }

    static func decompress(_ bytes: [UInt8], in directory: URL) throws -> [UInt8] {
        let input = directory.appendingPathComponent("gunzip-in-\(UUID().uuidString).gz")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        return try run(["-d", "-c"], input: input)
    }

    enum GzipError: Error {
        case failed(Int32)
        case cannotCreate(String)
    }
}

// MARK: - Metrics

/// The value of an unlabelled metric in a Prometheus text exposition.
func metricValue(_ name: String, in exposition: String) -> Double? {
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts.count >= 2, parts[0] == name { return Double(parts[1]) }
    }
    return nil
}
