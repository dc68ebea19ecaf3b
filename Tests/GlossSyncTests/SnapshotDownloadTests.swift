import Foundation
import GlossCore
import GlossStore
import GlossSync
import Testing

/// The engine's side of a first sync from a snapshot, against a scripted server: a cut
/// download resumes with `Range`, a replaced snapshot restarts, and damaged bytes are
/// refused before anything reaches the replica, which then replays the log.
struct SnapshotDownloadTests {
    static let epoch = String(repeating: "c", count: 32)

    /// A snapshot of the seed article with a few annotations, as the server builds it.
    static func snapshot(in folder: URL) throws -> (bytes: [UInt8], file: SnapshotFile) {
        let (source, article) = try SyncFixtures.replica(name: "source")
        for quote in SyncFixtures.quotes.prefix(4) { try SyncFixtures.annotate(source, article: article, quote, note: quote) }
        let changes = try source.changes(afterPosition: 0, limit: 1_000).map(\.change)
        let builder = try SnapshotBuilder(
            corpus: FakeServer.corpus, epoch: epoch, workPath: folder.appendingPathComponent("work.gloss").path)
        try builder.apply(changes.map { Array($0.jsonString.utf8) }, cursor: Int64(changes.count))
        let file = try builder.finish(into: folder.appendingPathComponent("snapshot.gloss").path)
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: file.path))), file)
    }

    /// Serves `bytes` as the snapshot (honouring `Range`), through `spoil` for the first
    /// answer, and an empty log after its position.
    final class SnapshotServer: @unchecked Sendable {
        let bytes: [UInt8]
        let file: SnapshotFile
        var spoilFirst: ((inout HTTPResponse) -> Void)?
        private(set) var snapshotRequests: [HTTPRequest] = []

        init(bytes: [UInt8], file: SnapshotFile) {
            self.bytes = bytes
            self.file = file
        }

        func answer(_ request: HTTPRequest) -> HTTPResponse {
            guard request.path.hasSuffix("/snapshot") else {
                let body = #"{"changes":[],"cursor":\#(file.position),"epoch":"\#(epoch)","more":false}"#
                return HTTPResponse(status: 200, body: Array(body.utf8))
            }
            snapshotRequests.append(request)
            var headers = [
                "etag": SnapshotHeaders.etag(sha256Hex: file.sha256), "gloss-snapshot-position": "\(file.position)",
                "gloss-snapshot-epoch": epoch, "gloss-snapshot-changes": "\(file.changes)",
            ]
            var response: HTTPResponse
            let range = request.headers.first { $0.name == "Range" }?.value
            let ifRange = request.headers.first { $0.name == "If-Range" }?.value
            if let range, ifRange == headers["etag"], let start = Int(range.dropFirst("bytes=".count).dropLast()) {
                headers["content-range"] = "bytes \(start)-\(bytes.count - 1)/\(bytes.count)"
                response = HTTPResponse(status: 206, body: Array(bytes[start...]), headers: headers)
            } else {
                headers["content-length"] = "\(bytes.count)"
                response = HTTPResponse(status: 200, body: bytes, headers: headers)
            }
            if snapshotRequests.count == 1, let spoil = spoilFirst { spoil(&response) }
            return response
        }
    }

    func firstSync(_ spoil: ((inout HTTPResponse) -> Void)?) throws -> (report: SyncReport, server: SnapshotServer, store: GlossDatabase) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-download-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (bytes, file) = try Self.snapshot(in: folder)
        let server = SnapshotServer(bytes: bytes, file: file)
        server.spoilFirst = spoil
        let store = try GlossDatabase.create(at: folder.appendingPathComponent("phone.gloss").path, name: "phone")
        try store.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t")
        let report = try sync(store, ScriptedTransport { request in server.answer(request) })
        return (report, server, store)
    }

    @Test func aCutDownloadResumesWithARange() throws {
        let (report, server, store) = try firstSync { response in
            response.body.removeLast(response.body.count / 2)
        }
        #expect(report.snapshot?.used == true, "\(String(describing: report.snapshot))")
        #expect(server.snapshotRequests.count == 2)
        let resumed = server.snapshotRequests.last?.headers
        #expect(resumed?.contains { $0.name == "Range" && $0.value == "bytes=\(server.bytes.count - server.bytes.count / 2)-" } == true)
        #expect(resumed?.contains { $0.name == "If-Range" } == true)
        #expect(try store.doctor().isHealthy)
        #expect(try store.annotations().count == 4)
        #expect(!FileManager.default.fileExists(atPath: store.path + ".snapshot"))
    }

    @Test func damagedBytesAreRefusedAndTheLogReplayed() throws {
        let (report, server, store) = try firstSync { response in response.body[response.body.count / 3] ^= 0x40 }
        #expect(report.snapshot?.used == false)
        #expect(report.snapshot?.reason?.contains("SHA-256") == true, "\(String(describing: report.snapshot))")
        #expect(server.snapshotRequests.count == 1)
        // Nothing of it was kept; the pull went from position 0.
        #expect(try store.annotations().isEmpty)
        #expect(try store.remote()?.cursor == server.file.position)
        #expect(try store.doctor().isHealthy)
    }

    @Test func aDownloadCutEveryTimeEndsInAReplay() throws {
        var options = testOptions()
        options.attempts = 3
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-download-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (bytes, file) = try Self.snapshot(in: folder)
        let server = SnapshotServer(bytes: bytes, file: file)
        let store = try GlossDatabase.create(at: folder.appendingPathComponent("phone.gloss").path, name: "phone")
        try store.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t")
        let transport = ScriptedTransport { request throws(TransportError) in
            if request.path.hasSuffix("/snapshot") { throw .connectionLost("cut") }
            return server.answer(request)
        }
        let report = try sync(store, transport, options: options)
        #expect(report.snapshot?.used == false)
        #expect(report.snapshot?.reason?.contains("download failed") == true)
        #expect(try store.doctor().isHealthy)
    }
}
