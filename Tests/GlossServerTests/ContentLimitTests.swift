import GlossCore
import GlossServer
import HTTPTypes
import Testing

/// Strings in pushed content are bounded, by the defaults or by the server's configuration.
@Suite struct ContentLimitTests {
    @Test(arguments: TestBackend.enabled) func stringsOverTheConfiguredLimitsAreRefusedNamingTheField(backend: TestBackend) async throws {
        var limits = Limits()
        limits.content.note = 10
        limits.content.quote = 4
        limits.content.field = 40
        limits.content.tags = 2
        limits.content.text = 200
        try await TestServer.with(backend: backend, limits: limits) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle(0)
            var shortArticle = article
            shortArticle.text = String(article.text.prefix(150))
            let shortArticleChange = log.put(shortArticle)
            let annotation = try sampleAnnotation(on: article, start: 0, end: 4, note: "kısa")

            let cases: [(field: String, edit: (inout EntityContent) -> Void)] = [
                ("note", { $0["note"] = .string(String(repeating: "ş", count: 11)) }),
                ("target.exact", { $0["target"] = ["exact": "Musul", "prefix": "", "suffix": "", "start": 0, "end": 5] }),
                ("target.prefix", { $0["target"] = ["exact": "Musu", "prefix": .string(String(repeating: "a", count: 41)), "suffix": "", "start": 0, "end": 4] }),
                ("target.suffix", { $0["target"] = ["exact": "Musu", "prefix": "", "suffix": .string(String(repeating: "a", count: 41)), "start": 0, "end": 4] }),
                ("author", { $0["author"] = .string(String(repeating: "a", count: 41)) }),
                ("tags", { $0["tags"] = ["a", "b", "c"] }),
            ]
            for (field, edit) in cases {
                var content = annotation.content
                edit(&content)
                var attempt = log
                let change = attempt.next(kind: .annotation, entity: annotation.id, content: content)
                let answer = try await client.push(token: server.ayse, replica: log.replica, changes: [shortArticleChange, change])
                expectRefused(answer, .unprocessableContent, "invalid_change")
                #expect(answer.errorMessage?.contains(field.hasPrefix("tags") ? "tags" : "'\(field)'") == true, "\(field): \(answer.text)")
            }
            // An article text over the limit.
            var longText = log
            let long = longText.put(sampleArticle(1, extraText: String(repeating: " Musul", count: 40)))
            let answer = try await client.push(token: server.ayse, replica: log.replica, changes: [long])
            expectRefused(answer, .unprocessableContent, "invalid_change")
            #expect(answer.errorMessage?.contains("'text'") == true, "\(answer.text)")
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "none of these stored anything")

            // Within every limit, the same shapes are stored.
            let fine = log.put(annotation)
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [shortArticleChange, fine]), stored: 2, duplicates: 0, maxSeq: 2)
        }
    }

    @Test(arguments: TestBackend.enabled) func theDefaultLimitsHoldWithoutConfiguration(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle(0)
            var content = try sampleAnnotation(on: article).content
            content["note"] = .string(String(repeating: "ı", count: ContentLimits.default.note + 1))
            let change = log.next(kind: .annotation, entity: Annotation.newID(), content: content)
            let answer = try await client.push(token: server.ayse, replica: log.replica, changes: [change])
            expectRefused(answer, .unprocessableContent, "invalid_change")
            #expect(answer.errorMessage?.contains("100000") == true, "\(answer.text)")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }
}
