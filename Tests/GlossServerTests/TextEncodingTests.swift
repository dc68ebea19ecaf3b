import Foundation
import GlossCore
import GlossServer
import HTTPTypes
import Testing

/// design.md: text is UTF-8, and in NFC (selector offsets count the scalars of the NFC
/// text). Invalid UTF-8 is unreadable JSON (400); valid but non-NFC text is invalid
/// content (422). Either way nothing is stored.
@Suite struct TextEncodingTests {
    /// A push body whose annotation note is `noteBytes`, spliced in as raw bytes.
    static func body(_ log: inout ReplicaLog, noteBytes: [UInt8]) throws -> [UInt8] {
        let article = sampleArticle(0)
        let marker = "NOTE-MARKER"
        let change = log.put(try sampleAnnotation(on: article, note: marker))
        let text = pushBody(replica: log.replica, changes: [change])
        let parts = text.components(separatedBy: marker)
        try #require(parts.count == 2)
        return Array(parts[0].utf8) + noteBytes + Array(parts[1].utf8)
    }

    @Test(arguments: TestBackend.enabled, [
        ("a lone continuation byte", [0x80] as [UInt8]),
        ("a truncated sequence", [0xC3]),
        ("an invalid byte", [0xFF]),
        ("an overlong '/'", [0xC0, 0xAF]),
        ("an encoded surrogate", [0xED, 0xA0, 0x80]),
        ("a code point above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
        ("an escaped lone surrogate", Array(#"\ud800"#.utf8)),
    ])
    func invalidUTF8IsUnreadableJSON(backend: TestBackend, invalid: (name: String, bytes: [UInt8])) async throws {
        let (name, bytes) = invalid
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let body = try Self.body(&log, noteBytes: Array("Musul ".utf8) + bytes + Array(" şehri".utf8))
            let answer = try await client.send(.post, changesURI(), headers: syncHeaders(token: server.ayse), body: body)
            expectRefused(answer, .badRequest, "invalid_json")
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "\(name): nothing stored")
        }
    }

    @Test(arguments: TestBackend.enabled) func nonNFCTextIsInvalidContent(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            // "ş" as s + combining cedilla: valid UTF-8, not NFC.
            let decomposed = Array("Mu\u{0073}\u{0327}ul".utf8)
            let answer = try await client.send(
                .post, changesURI(), headers: syncHeaders(token: server.ayse), body: try Self.body(&log, noteBytes: decomposed))
            expectRefused(answer, .unprocessableContent, "invalid_change")
            #expect(answer.errorMessage?.contains("NFC") == true, "\(answer.text)")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)

            // The same note composed is stored, byte for byte.
            var fresh = ReplicaLog()
            let composed = Array("Mu\u{015F}ul".utf8)
            try expectPushed(
                try await client.send(.post, changesURI(), headers: syncHeaders(token: server.ayse), body: try Self.body(&fresh, noteBytes: composed)),
                stored: 1, duplicates: 0, maxSeq: 1)
            let stored = try await client.pullAll(token: server.ayse)
            #expect(stored.first?.content?.contains("Muşul") == true)
        }
    }
}
