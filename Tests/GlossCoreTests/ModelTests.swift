import Testing

@testable import GlossCore

/// Check values computed outside Swift:
/// `python3 -c "import hashlib;print(hashlib.sha256('…'.encode()).hexdigest()[:32])"`.
enum KnownIDs {
    static let irak = "b0c7d15608324aa74ef236191cffaf66"  // "Irak"
    static let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e"  // "hello"
    static let eAcute = "4a99557e4033c3539de2eb65472017ca"  // "\u{E9}" (NFC of "e\u{301}")
    static let musul = "05d11ef5375b6e0b8192db1451b6881f"  // "Musul'da çatışmalar sürüyor 🙂"
}

@Suite struct ArticleTests {
    @Test func idIsTheFirst16BytesOfSHA256InHex() {
        #expect(Article.id(forText: "Irak") == KnownIDs.irak)
        #expect(Article.id(forText: "hello") == KnownIDs.hello)
        #expect(Article.id(forText: "Musul'da çatışmalar sürüyor 🙂") == KnownIDs.musul)
        #expect(Article.id(forText: "\u{E9}") == KnownIDs.eAcute)
    }

    @Test func idIsOfTheNFCText() {
        #expect(Article.id(forText: "e\u{301}") == KnownIDs.eAcute, "NFD text gets the id of its NFC form")
        #expect(Article.id(forText: "irak") != KnownIDs.irak, "case matters")
        #expect(Article(title: "t", text: "Irak").id == KnownIDs.irak)
        #expect(Article(id: KnownIDs.hello, title: "t", text: "Irak").id == KnownIDs.hello, "an explicit id is kept")
    }

    @Test func idShape() {
        #expect(Article.isValidID(KnownIDs.irak))
        #expect(!Article.isValidID(KnownIDs.irak.uppercased()))
        #expect(!Article.isValidID(String(KnownIDs.irak.dropLast())))
        #expect(!Article.isValidID(KnownIDs.irak + "0"))
        #expect(!Article.isValidID("g" + KnownIDs.irak.dropFirst()))
        #expect(!Article.isValidID(""))
        for seed in 0..<50 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            #expect(Article.isValidID(Article.id(forText: "text \(rng.next())")))
        }
    }

    static let text = "Irak güvenlik güçleri Musul kentini DEAŞ terör örgütünden kurtarmak 🙂"

    @Test func contentRoundTrip() throws {
        let article = Article(
            title: "Musul", date: "2016-12", text: Self.text, source: "https://example.org/a", language: "tr",
            tags: ["war", "iraq", "war"], otherFields: ["future": ["nested": true]])
        #expect(article.tags == ["iraq", "war"], "tags are a sorted set")
        let content = article.content
        #expect(content["title"] == "Musul")
        #expect(content["tags"] == ["iraq", "war"])
        #expect(content["future"] == ["nested": true])
        let back = try Article(id: article.id, content: content)
        #expect(back == article)
        // Through canonical JSON too.
        let parsed = try JSONParser.parse(CanonicalJSON.string(.object(content)))
        #expect(try Article(id: article.id, content: parsed.objectValue!) == article)
    }

    @Test func minimalContentAndNulls() throws {
        let article = try Article(id: KnownIDs.irak, content: ["text": "Irak", "date": .null, "tags": .null])
        #expect(article.title == "")
        #expect(article.date == nil)
        #expect(article.tags == [])
        #expect(article.content == ["title": "", "text": "Irak", "tags": []])
    }

    @Test func unknownFieldsArePreservedButConflictsAreNot() throws {
        let content: EntityContent = [
            "text": "Irak", "title": "t", "x-new": [1, 2], "_conflicts": ["title": []],
        ]
        let article = try Article(id: KnownIDs.irak, content: content)
        #expect(article.otherFields == ["x-new": [1, 2]])
        #expect(article.content["x-new"] == [1, 2])
        #expect(article.content["_conflicts"] == nil)
    }

    func error(_ content: EntityContent, id: String = KnownIDs.irak) -> ValidationError? {
        do {
            _ = try Article(id: id, content: content)
            return nil
        } catch {
            return error
        }
    }

    @Test func validationErrors() {
        let base: EntityContent = ["text": "Irak", "title": "t"]
        func with(_ field: String, _ value: JSONValue) -> EntityContent {
            var content = base
            content[field] = value
            return content
        }
        #expect(error(base) == nil)
        #expect(error(base, id: "nope") == .invalidID(kind: .article, id: "nope"))
        #expect(error(["title": "t"]) == .missingField("text"))
        #expect(error(with("text", 5)) == .wrongType(field: "text", expected: "a string"))
        #expect(error(with("text", "")) == .emptyText)
        #expect(error(with("title", ["x"])) == .wrongType(field: "title", expected: "a string"))
        #expect(error(with("text", "Mu\u{308}nchen")) == .notNFC(field: "text"))
        #expect(error(with("title", "Mu\u{308}nchen")) == .notNFC(field: "title"))
        #expect(error(with("tags", "iraq")) == .wrongType(field: "tags", expected: "an array of strings"))
        #expect(error(with("tags", ["iraq", 3])) == .wrongType(field: "tags", expected: "an array of strings"))
        #expect(error(with("tags", ["two words"])) == .invalidTag("two words"))
        #expect(error(with("tags", [""])) == .invalidTag(""))
        #expect(error(with("tags", [.string(String(repeating: "a", count: 65))])) == .invalidTag(String(repeating: "a", count: 65)))
        #expect(error(with("tags", [.string(String(repeating: "ş", count: 64))])) == nil, "64 scalars is the limit")
        #expect(error(with("tags", ["irak/musul", "a:b", "x_y-z.1", "şehir", "2016"])) == nil)
    }

    @Test(arguments: ["2016-12", "1999-01", "0000-12"])
    func goodDates(_ date: String) throws {
        _ = try Article(id: KnownIDs.irak, content: ["text": "Irak", "date": .string(date)])
    }

    @Test(arguments: ["2016-13", "2016-00", "2016-1", "16-12", "2016/12", "2016-12-01", "２０１６-12", "abcd-12", "2016-1a", ""])
    func badDates(_ date: String) {
        #expect(error(["text": "Irak", "date": .string(date)]) == .invalidDate(date))
    }

    @Test func textLengthLimitIsInScalars() {
        var article = Article(title: "t", text: "x")
        article.text = String(repeating: "x", count: ContentLimits.default.text + 1)
        #expect(throws: ValidationError.textTooLong(field: "text", limit: ContentLimits.default.text)) { try article.validate() }
    }

    @Test func errorsReadWell() {
        #expect(ValidationError.invalidDate("2016-13").description.contains("YYYY-MM"))
        #expect(ValidationError.notNFC(field: "text").description.contains("NFC"))
        #expect(ValidationError.invalidColor("x y").description.contains("#rgb"))
    }
}

@Suite struct AnnotationTests {
    static let text = ScalarText(ArticleTests.text)
    static let articleID = Article.id(forText: ArticleTests.text)

    static func annotation(note: String? = "a note", tags: [String] = ["claim"]) throws -> Annotation {
        Annotation(
            article: articleID, target: try TextSelector(text: text, start: 5, end: 13), note: note, tags: tags,
            label: "LOC", color: "#ffcc00", author: "ayşe", created: "2016-12-29T10:00:00Z")
    }

    @Test func newIDsAreValidAndDistinct() {
        let ids = (0..<200).map { _ in Annotation.newID() }
        #expect(Set(ids).count == 200)
        for id in ids { #expect(Annotation.isValidID(id), "\(id)") }
        #expect(!Annotation.isValidID(ids[0].uppercased()))
        #expect(!Annotation.isValidID(String(ids[0].dropLast())))
        #expect(!Annotation.isValidID(KnownIDs.irak))
    }

    @Test func contentRoundTrip() throws {
        var annotation = try Self.annotation(tags: ["b", "a", "b"])
        annotation.otherFields = ["x-rating": 5]
        #expect(annotation.tags == ["a", "b"])
        #expect(annotation.target.exact == "güvenlik")
        let content = annotation.content
        #expect(content["target"] == ["exact": "güvenlik", "prefix": "Irak ", "suffix": " güçleri Musul kentini DEAŞ terö", "start": 5, "end": 13])
        let back = try Annotation(id: annotation.id, content: content)
        #expect(back == annotation)
        let parsed = try JSONParser.parse(CanonicalJSON.string(.object(content))).objectValue!
        #expect(try Annotation(id: annotation.id, content: parsed) == annotation)
        try annotation.target.validate(against: Self.text)
    }

    func error(_ change: (inout EntityContent) -> Void, id: String? = nil) throws -> ValidationError? {
        let annotation = try Self.annotation()
        var content = annotation.content
        change(&content)
        do {
            _ = try Annotation(id: id ?? annotation.id, content: content)
            return nil
        } catch {
            return error
        }
    }

    @Test func validationErrors() throws {
        #expect(try error { _ in } == nil)
        #expect(try error({ _ in }, id: "NOT-AN-ID") == .invalidID(kind: .annotation, id: "NOT-AN-ID"))
        #expect(try error { $0["article"] = "abc" } == .invalidID(kind: .article, id: "abc"))
        #expect(try error { $0["article"] = nil } == .missingField("article"))
        #expect(try error { $0["target"] = nil } == .missingField("target"))
        #expect(try error { $0["target"] = "5-13" } == .wrongType(field: "target", expected: "an object"))
        #expect(try error { $0["note"] = 3 } == .wrongType(field: "note", expected: "a string"))
        #expect(try error { $0["note"] = "Mu\u{308}nchen" } == .notNFC(field: "note"))
        #expect(try error { $0["note"] = .string(String(repeating: "ş", count: ContentLimits.default.note + 1)) } == .textTooLong(field: "note", limit: ContentLimits.default.note))
        #expect(try error { $0["tags"] = ["has space"] } == .invalidTag("has space"))
        #expect(try error { $0["label"] = "P E R" } == .invalidLabel("P E R"))
        #expect(try error { $0["label"] = "" } == .invalidLabel(""))
        #expect(try error { $0["note"] = nil; $0["label"] = nil; $0["color"] = nil } == nil, "optional fields")
    }

    @Test(arguments: ["#fff", "#FFF", "#ffcc00", "#A0b1C2", "yellow", "red", "lightgoldenrodyellow"])
    func goodColors(_ color: String) throws {
        #expect(try error { $0["color"] = .string(color) } == nil)
    }

    @Test(arguments: ["#ff", "#ffff", "#ggg", "#ffcc001", "Yellow", "light yellow", "", "#", "sarı", "rgb(1,2,3)", String(repeating: "a", count: 33)])
    func badColors(_ color: String) throws {
        #expect(try error { $0["color"] = .string(color) } == .invalidColor(color))
    }

    @Test func targetErrors() throws {
        func target(_ fields: EntityContent) throws -> ValidationError? {
            try error { $0["target"] = .object(fields) }
        }
        #expect(try target(["exact": "güvenlik", "start": 5, "end": 13]) == nil, "prefix and suffix are optional")
        #expect(try target(["start": 5, "end": 13]) == .missingField("exact"))
        #expect(try target(["exact": "güvenlik", "end": 13]) == .missingField("start"))
        #expect(try target(["exact": "güvenlik", "start": "5", "end": 13]) == .wrongType(field: "start", expected: "an integer"))
        #expect(try target(["exact": "güvenlik", "start": .double(5.5), "end": 13]) == .wrongType(field: "start", expected: "an integer"))
        #expect(try target(["exact": "x", "start": 5, "end": 5]) == .invalidRange(start: 5, end: 5, length: 5))
        #expect(try target(["exact": "x", "start": -1, "end": 0]) == .invalidRange(start: -1, end: 0, length: 0))
        #expect(try target(["exact": "güvenlik", "start": 5, "end": 12]) == .quoteMismatch(expected: "güvenlik", found: ""))
        #expect(try target(["exact": "gu\u{308}venlik", "start": 5, "end": 14]) == .notNFC(field: "target.exact"))
    }
}

@Suite struct TextSelectorTests {
    let text = ScalarText("🙂 Irak güvenlik güçleri e\u{301}")

    @Test func selectorCountsScalars() throws {
        let selector = try TextSelector(text: text, start: 2, end: 6)
        #expect(selector.exact == "Irak")
        #expect(selector.prefix == "🙂 ")
        #expect(selector.suffix == " güvenlik güçleri e\u{301}")
        try selector.validate(against: text)
    }

    @Test func contextIs32ScalarsEachSide() throws {
        let long = ScalarText(String(repeating: "ş", count: 40) + "IRAK" + String(repeating: "🙂", count: 40))
        let selector = try TextSelector(text: long, start: 40, end: 44)
        #expect(selector.prefix.unicodeScalars.count == 32)
        #expect(selector.suffix.unicodeScalars.count == 32)
        #expect(selector.prefix == String(repeating: "ş", count: 32))
        #expect(selector.suffix == String(repeating: "🙂", count: 32))
    }

    @Test func rangeErrors() {
        let count = text.count
        #expect(throws: ValidationError.invalidRange(start: -1, end: 2, length: count)) { try TextSelector(text: text, start: -1, end: 2) }
        #expect(throws: ValidationError.invalidRange(start: 3, end: 3, length: count)) { try TextSelector(text: text, start: 3, end: 3) }
        #expect(throws: ValidationError.invalidRange(start: 4, end: 3, length: count)) { try TextSelector(text: text, start: 4, end: 3) }
        #expect(throws: ValidationError.invalidRange(start: 0, end: count + 1, length: count)) { try TextSelector(text: text, start: 0, end: count + 1) }
        #expect(throws: Never.self) { try TextSelector(text: text, start: 0, end: count) }
    }

    @Test func quoteMismatch() throws {
        let selector = TextSelector(exact: "Iraq", prefix: "", suffix: "", start: 2, end: 6)
        #expect(throws: ValidationError.quoteMismatch(expected: "Iraq", found: "Irak")) { try selector.validate(against: text) }
        let outside = TextSelector(exact: "Irak", prefix: "", suffix: "", start: 100, end: 104)
        #expect(throws: ValidationError.invalidRange(start: 100, end: 104, length: text.count)) { try outside.validate(against: text) }
    }

    @Test func quoteIsComparedByScalars() throws {
        // "é" (NFC) and "e\u{301}" are equal Strings but different scalars at different offsets.
        let end = text.count
        let selector = TextSelector(exact: "\u{E9}", prefix: "", suffix: "", start: end - 2, end: end)
        #expect(throws: ValidationError.self) { try selector.validate(against: text) }
        let good = TextSelector(exact: "e\u{301}", prefix: "", suffix: "", start: end - 2, end: end)
        try good.validate(against: text)
    }

    @Test func jsonRoundTrip() throws {
        let selector = try TextSelector(text: text, start: 7, end: 15)
        #expect(try TextSelector(json: selector.json) == selector)
        #expect(throws: ValidationError.missingField("target")) { try TextSelector(json: nil) }
    }
}
