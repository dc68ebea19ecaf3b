import Testing

@testable import GlossCore

@Suite struct ChangeJSONTests {
    static let articleID = KnownIDs.irak
    static let annotationID = ReplicaID(high: 0xABCD, low: 0x1234).description.lowercased()

    static func put(content: String = #"{"note":"Musul'da 🙂 ş\n","tags":["a","b"]}"#) -> Change {
        Change(
            dot: dot(2, 5), kind: .annotation, entity: annotationID, operation: .put,
            clock: clock([1: 3, 2: 5]), timestamp: ts(1_480_550_400_000, 2), replaces: [dot(1, 3), dot(2, 4)],
            content: content, author: "ayşe")
    }

    static func delete() -> Change {
        Change(
            dot: dot(1, 7), kind: .article, entity: articleID, operation: .delete, clock: clock([1: 7]),
            timestamp: ts(5), replaces: [dot(1, 6)], content: nil)
    }

    func parse(_ text: String) throws -> Change {
        try Change(json: try JSONParser.parse(text))
    }

    @Test func putRoundTrip() throws {
        let change = Self.put()
        try change.validateShape()
        let text = change.jsonString
        let back = try parse(text)
        #expect(back == change)
        #expect(back.jsonString == text)
    }

    @Test func deleteRoundTrip() throws {
        let change = Self.delete()
        try change.validateShape()
        let text = change.jsonString
        #expect(!text.contains("content"))
        #expect(!text.contains("author"))
        #expect(try parse(text) == change)
    }

    @Test func outputIsCanonicalJSON() throws {
        for change in [Self.put(), Self.delete()] {
            let text = change.jsonString
            #expect(CanonicalJSON.string(try JSONParser.parse(text)) == text, "keys sorted, no spaces: \(text)")
        }
    }

    @Test func exactWireForm() {
        let text = Self.put(content: #"{"note":"ş"}"#).jsonString
        let a = r(1).description, b = r(2).description
        #expect(
            text
                == #"{"author":"ayşe","clock":{"\#(a)":3,"\#(b)":5},"content":{"note":"ş"},"entity":"\#(Self.annotationID)","kind":"annotation","op":"put","replaces":["\#(a):3","\#(b):4"],"replica":"\#(b)","seq":5,"time":"1480550400000.2"}"#
        )
    }

    @Test func contentIsSplicedAsStoredBytes() throws {
        let content = #"{"a":"Irak güvenlik 🇹🇷","b":[1,2.5,null],"c":{"d":true}}"#
        let change = Self.put(content: content)
        var bytes: [UInt8] = []
        change.writeJSON(to: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.utf8.count == bytes.count)
        #expect(text.contains(#""content":"# + content + ","))
        #expect(try parse(text).content == content)
    }

    @Test func readingCanonicalizesContent() throws {
        let a = r(1).description
        let json = #"{"seq":1,"replica":"\#(a)","kind":"article","entity":"\#(Self.articleID)","op":"put","clock":{"\#(a)":1},"time":"0.0","replaces":[],"content":{ "title" : "t", "text": "\u0130rak" }}"#
        let change = try parse(json)
        #expect(change.content == #"{"text":"İrak","title":"t"}"#)
        #expect(change.author == nil)
        let version = try change.version()
        #expect(version.content == ["text": "İrak", "title": "t"])
        #expect(version.clock == clock([1: 1]))
        #expect(version.dot == dot(1, 1))
    }

    @Test func replacesAreSortedOnRead() throws {
        var change = Self.put()
        change.replaces = [dot(2, 4), dot(1, 3)]
        #expect(try parse(change.jsonString).replaces == [dot(1, 3), dot(2, 4)])
    }

    @Test func versionOfADeleteHasNoContent() throws {
        let version = try Self.delete().version()
        #expect(version.isDeletion)
        #expect(version.dot == dot(1, 7))
    }

    @Test func versionRejectsUnparsableStoredContent() {
        for content in ["{", "[1]", "\"text\"", #"{"a":1}x"#] {
            var change = Self.put()
            change.content = content
            #expect(throws: ChangeError.self, "\(content)") { try change.version() }
        }
    }

    /// A valid change's JSON object, to break one field at a time.
    static func object() throws -> [String: JSONValue] {
        try JSONParser.parse(put().jsonString).objectValue!
    }

    enum Expect { case unreadable, malformed }

    static let broken: [(String, JSONValue?, Expect)] = [
        ("replica", nil, .unreadable),
        ("replica", "not a replica", .unreadable),
        ("replica", 5, .unreadable),
        ("seq", nil, .unreadable),
        ("seq", 0, .unreadable),
        ("seq", -3, .unreadable),
        ("seq", "5", .unreadable),
        ("seq", .double(5.5), .unreadable),
        ("kind", nil, .malformed),
        ("kind", "note", .malformed),
        ("entity", nil, .malformed),
        ("entity", .string(KnownIDs.irak), .malformed),  // an article id on an annotation
        ("entity", "../../etc/passwd", .malformed),
        ("op", nil, .malformed),
        ("op", "update", .malformed),
        ("clock", nil, .malformed),
        ("clock", [:], .malformed),  // misses its own dot
        ("clock", .object([r(2).description: 4]), .malformed),  // behind its own seq
        ("clock", .object([r(2).description: 6]), .malformed),  // beyond its own seq
        ("clock", .object([r(2).description: 5, "x": 1]), .malformed),
        ("clock", .object([r(2).description: 5, r(1).description: 0]), .malformed),
        ("clock", [1, 2], .malformed),
        ("time", nil, .malformed),
        ("time", "yesterday", .malformed),
        ("time", 1_480_550_400_000, .malformed),
        ("replaces", nil, .malformed),
        ("replaces", "x", .malformed),
        ("replaces", ["nope"], .malformed),
        ("replaces", [1], .malformed),
        ("replaces", .array([.string("\(r(1)):4")]), .malformed),  // not in its clock
        ("replaces", .array([.string("\(r(3)):1")]), .malformed),
        ("replaces", .array([.string("\(r(2)):5")]), .malformed),  // replaces itself
        ("content", nil, .malformed),  // a put without content
        ("content", "text", .malformed),
        ("content", [1, 2], .malformed),
        ("content", 3, .malformed),
    ]

    @Test func malformedChangesAreRefused() throws {
        for (field, value, expected) in Self.broken {
            var object = try Self.object()
            object[field] = value
            do {
                let change = try Change(json: .object(object))
                Issue.record("accepted \(field) = \(String(describing: value)): \(change)")
            } catch {
                switch (error, expected) {
                case (.unreadable, .unreadable), (.malformed, .malformed): break
                default: Issue.record("\(field) = \(String(describing: value)): \(error)")
                }
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func deleteWithContentIsRefused() throws {
        var object = try JSONParser.parse(Self.delete().jsonString).objectValue!
        object["content"] = ["text": "x"]
        #expect(throws: ChangeError.self) { try Change(json: .object(object)) }
        // `"content": null` on a delete is the same as no content.
        object["content"] = .null
        #expect(try Change(json: .object(object)) == Self.delete())
    }

    @Test func notAnObjectIsUnreadable() {
        #expect(throws: ChangeError.unreadable("a change must be a JSON object")) { try Change(json: [1, 2]) }
    }

    @Test func validateShapeDirectly() {
        var change = Self.put()
        change.content = nil
        #expect(throws: ChangeError.self) { try change.validateShape() }
        change = Self.delete()
        change.content = "{}"
        #expect(throws: ChangeError.self) { try change.validateShape() }
        change = Self.put()
        change.clock = clock([2: 5])
        #expect(throws: ChangeError.self, "replaces \(dot(1, 3)) which the clock lacks") { try change.validateShape() }
    }

    @Test func randomChangesRoundTrip() throws {
        for seed in 0..<200 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let replica = UInt64(rng.int(1..<5))
            let seq = UInt64(rng.int(1..<1000))
            var entries: [UInt64: UInt64] = [replica: seq]
            var replaces: [Dot] = []
            for other in 1..<5 as Range<UInt64> where other != replica && rng.chance(0.5) {
                let otherSeq = UInt64(rng.int(1..<1000))
                entries[other] = otherSeq
                if rng.chance(0.5) { replaces.append(dot(other, UInt64(rng.int(1..<Int(otherSeq + 1))))) }
            }
            let isDelete = rng.chance(0.3)
            let kind: EntityKind = rng.chance(0.5) ? .article : .annotation
            let content: JSONValue = [
                "note": .string(JSONTests.randomString(&rng)), "tags": [.string(JSONTests.randomString(&rng))],
                "n": .int(Int64(rng.int(-100..<100))),
            ]
            let change = Change(
                dot: dot(replica, seq), kind: kind, entity: kind == .article ? Article.id(forText: "\(seed)") : Annotation.newID(),
                operation: isDelete ? .delete : .put, clock: clock(entries),
                timestamp: ts(Int64(rng.int(0..<Int(Int32.max))), UInt32(rng.int(0..<10))), replaces: replaces.sorted(),
                content: isDelete ? nil : CanonicalJSON.string(content), author: rng.chance(0.5) ? "user \(seed)" : nil)
            try change.validateShape()
            let text = change.jsonString
            let back = try Change(json: try JSONParser.parse(text))
            #expect(back == change, "seed \(seed): \(text)")
            #expect(back.jsonString == text, "seed \(seed)")
            #expect(try back.version() == change.version(), "seed \(seed)")
        }
    }

    /// A change read from JSON keeps its parsed content instead of parsing its text again;
    /// what it keeps must be exactly what parsing the text gives, whole-number doubles and
    /// all (the canonical text writes 2.0 as 2, which reads back as an integer).
    @Test func contentKeptFromTheParseEqualsAParseOfTheText() throws {
        for seed in 0..<500 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            var content: [String: JSONValue] = [:]
            for _ in 0..<rng.int(1..<6) { content[JSONTests.randomString(&rng)] = JSONTests.randomValue(&rng, depth: 1) }
            if rng.chance(0.3) { content["n"] = .double(Double(rng.int(-5..<5))) }
            let change = Change(
                dot: dot(1, 1), kind: .annotation, entity: Annotation.newID(), operation: .put, clock: clock([1: 1]),
                timestamp: ts(1, 0), replaces: [], content: CanonicalJSON.string(.object(content)))
            // The content as a sender's parser would hand it over, not yet canonical.
            guard case .object(var sent) = try JSONParser.parse(change.jsonString) else {
                Issue.record("a change's JSON is an object")
                return
            }
            sent["content"] = .object(content)
            let read = try Change(json: .object(sent))
            let fromText = try JSONParser.parse(read.content!).objectValue!
            let kept = try read.version().content!
            #expect(kept == fromText, "seed \(seed)")
            #expect(CanonicalJSON.string(.object(kept)) == read.content, "seed \(seed)")
        }
    }
}
