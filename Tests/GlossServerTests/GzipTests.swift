import Foundation
import GlossCore
import GlossServer
import HTTPTypes
import HummingbirdTesting
import Testing

/// gzip both ways, and the limits that keep a compressed body from costing unbounded memory.
@Suite struct GzipTests {
    @Test(arguments: TestBackend.enabled) func aGzipCompressedPushIsAccepted(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle()
            let changes = [log.put(article), log.put(try sampleAnnotation(on: article))]
            let plain = Array(pushBody(replica: log.replica, changes: changes).utf8)
            let compressed = try Gzip.compress(plain, in: server.directory)
            #expect(compressed.count > 0 && compressed != plain)
            #expect(Array(compressed.prefix(2)) == [0x1F, 0x8B], "gzip's magic number")

            let headers = syncHeaders(token: server.ayse, extra: [(.contentEncoding, "gzip")])
            let answer = try await client.send(.post, changesURI(), headers: headers, body: compressed)
            try expectPushed(answer, stored: 2, duplicates: 0, maxSeq: 2)

            let pulled = try await client.pullAll(token: server.ayse)
            #expect(pulled.map(\.dot) == changes.map(\.dot))
            #expect(pulled.map(\.content) == changes.map(\.content))
        }
    }

    @Test(arguments: TestBackend.enabled) func aLargePullPageIsGzippedWhenTheClientAcceptsIt(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let changes = (0..<20).map { log.put(sampleArticle($0)) }
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: changes), stored: 20, duplicates: 0, maxSeq: 20)

            let plain = try await client.pull(token: server.ayse)
            #expect(plain.status == .ok)
            #expect(plain.bytes.count > 1_024, "the page is large enough to compress")
            #expect(plain.headers[.contentEncoding] == nil, "no gzip unless accepted")

            let gzipped = try await client.pull(token: server.ayse, headers: [(.acceptEncoding, "gzip, deflate")])
            #expect(gzipped.status == .ok)
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.bytes.count < plain.bytes.count)
            let inflated = try Gzip.decompress(gzipped.bytes, in: server.directory)
            #expect(inflated == plain.bytes, "the same page, compressed")
            let page = try Page(JSONParser.parse(bytes: inflated))
            #expect(page.changes.map(\.dot) == changes.map(\.dot))
            #expect(page.cursor == 20)
            #expect(page.more == false)

            // A small answer is not worth compressing.
            let small = try await client.pull(token: server.ayse, query: "after=20", headers: [(.acceptEncoding, "gzip")])
            #expect(small.status == .ok)
            #expect(small.headers[.contentEncoding] == nil)
            #expect(try Page(small.json()).changes.isEmpty)
        }
    }

    @Test(arguments: TestBackend.enabled) func aGzipBombIsTooLarge(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            // 80 MiB of zeros, compressed to well under the 16 MiB body limit.
            let bomb = try Gzip.compressedZeros(count: 80 * 1024 * 1024, in: server.directory)
            #expect(bomb.count < 1024 * 1024)
            let headers = syncHeaders(token: server.ayse, extra: [(.contentEncoding, "gzip")])
            let answer = try await client.send(.post, changesURI(), headers: headers, body: bomb)
            expectRefused(answer, .contentTooLarge, "too_large")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }

    /// The same at a small scale, with a valid push: a body that decompresses to more
    /// than `maxDecompressedBytes` is refused whatever it holds, and nothing is stored.
    @Test(arguments: TestBackend.enabled) func aValidBodyDecompressingToOverTheLimitIsTooLarge(backend: TestBackend) async throws {
        var limits = Limits()
        limits.maxDecompressedBytes = 64 * 1024
        try await TestServer.with(backend: backend, limits: limits) { server, client in
            var log = ReplicaLog()
            let change = log.put(sampleArticle())
            // An unknown top-level member pads the body to 80 KiB (1.25 × the limit).
            let plain = String(pushBody(replica: log.replica, changes: [change]).dropLast()) + ",\"pad\":\""
            let padded = plain + String(repeating: "a", count: 80 * 1024 - plain.utf8.count - 2) + "\"}"
            #expect(padded.utf8.count == 80 * 1024)
            #expect((try? JSONParser.parse(padded)) != nil, "the padded body is valid JSON")
            let compressed = try Gzip.compress(Array(padded.utf8), in: server.directory)
            let headers = syncHeaders(token: server.ayse, extra: [(.contentEncoding, "gzip")])
            let answer = try await client.send(.post, changesURI(), headers: headers, body: compressed)
            expectRefused(answer, .contentTooLarge, "too_large")
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored")

            // Under the limit, a push (of another replica, so as not to depend on the refusal) is accepted.
            var other = ReplicaLog()
            let accepted = other.put(sampleArticle(1))
            let small = try Gzip.compress(Array(pushBody(replica: other.replica, changes: [accepted]).utf8), in: server.directory)
            try expectPushed(try await client.send(.post, changesURI(), headers: headers, body: small), stored: 1, duplicates: 0, maxSeq: 1)
        }
    }

    @Test(arguments: TestBackend.enabled) func anUnsupportedContentEncodingIsRefused(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let body = Array(pushBody(replica: log.replica, changes: [log.put(sampleArticle())]).utf8)
            for encoding in ["br", "deflate", "compress"] {
                let headers = syncHeaders(token: server.ayse, extra: [(.contentEncoding, encoding)])
                let answer = try await client.send(.post, changesURI(), headers: headers, body: body)
                expectRefused(answer, .unsupportedMediaType, "unsupported_encoding")
            }
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }

    @Test(arguments: TestBackend.enabled) func aBodyThatClaimsGzipButIsNotIsABadRequest(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let body = Array(pushBody(replica: log.replica, changes: [log.put(sampleArticle())]).utf8)
            let headers = syncHeaders(token: server.ayse, extra: [(.contentEncoding, "gzip")])
            let answer = try await client.send(.post, changesURI(), headers: headers, body: body)
            #expect(answer.status == .badRequest, "\(answer.status): \(answer.text)")
            #expect(answer.errorCode != nil)
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }
}
