import Testing

@testable import GlossCore

@Suite struct JSONTests {
    // MARK: Canonical writing

    @Test func writesScalars() {
        #expect(CanonicalJSON.string(.null) == "null")
        #expect(CanonicalJSON.string(true) == "true")
        #expect(CanonicalJSON.string(false) == "false")
        #expect(CanonicalJSON.string(0) == "0")
        #expect(CanonicalJSON.string(-42) == "-42")
        #expect(CanonicalJSON.string(.int(.max)) == "9223372036854775807")
        #expect(CanonicalJSON.string(.int(.min)) == "-9223372036854775808")
        #expect(CanonicalJSON.string(.double(2.5)) == "2.5")
        #expect(CanonicalJSON.string(.double(-0.125)) == "-0.125")
        #expect(CanonicalJSON.string(.double(3.0)) == "3", "integral doubles are written as integers")
        #expect(CanonicalJSON.string(.double(-0.0)) == "0")
        #expect(CanonicalJSON.string(.double(.nan)) == "null")
        #expect(CanonicalJSON.string(.double(.infinity)) == "null")
        #expect(CanonicalJSON.string(.double(-.infinity)) == "null")
    }

    @Test func largeAndTinyDoublesStayValidJSON() throws {
        for number in [1e20, -1e300, 1.5e-7, .leastNonzeroMagnitude, 9.5e15, .greatestFiniteMagnitude, 0.1, 1.0 / 3.0] {
            let text = CanonicalJSON.string(.double(number))
            let parsed = try JSONParser.parse(text)
            switch parsed {
            case .double(let back): #expect(back == number, "\(text)")
            case .int(let back): #expect(Double(back) == number, "\(text)")
            default: Issue.record("\(text) parsed as \(parsed)")
            }
        }
    }

    @Test func sortsKeysByUTF8Bytes() {
        let value: JSONValue = ["b": 1, "a": 2, "B": 3, "ä": 4, "z": 5, "aa": 6, "": 7, "🙂": 8, "ş": 9]
        // UTF-8 byte order: "" < "B" < "a" < "aa" < "b" < "z" < "ä" (C3 A4) < "ş" (C5 9F) < "🙂" (F0 …).
        #expect(CanonicalJSON.string(value) == #"{"":7,"B":3,"a":2,"aa":6,"b":1,"z":5,"ä":4,"ş":9,"🙂":8}"#)
    }

    @Test func keyOrderDiffersFromUTF16Order() {
        // U+FB01 (EF AC 81 in UTF-8) sorts before U+1F600 (F0 9F 98 80) by bytes, but after
        // it by UTF-16 code units (FB01 > D83D). Canonical order is the byte order.
        let value: JSONValue = ["\u{1F600}": 1, "\u{FB01}": 2]
        #expect(CanonicalJSON.string(value) == "{\"\u{FB01}\":2,\"\u{1F600}\":1}")
    }

    @Test func noWhitespaceAndNestedStructures() {
        let value: JSONValue = ["list": [1, "two", [], [:], .null, ["k": false]], "empty": [:]]
        #expect(CanonicalJSON.string(value) == #"{"empty":{},"list":[1,"two",[],{},null,{"k":false}]}"#)
    }

    @Test func keepsNonASCIIAsUTF8() {
        let text = "Irak güvenlik güçleri ve DEAŞ militanları Musul'un doğusunda çatışıyor — ı İ ş ğ ö ü ç 🇹🇷 👩🏽‍💻 e\u{301}"
        let written = CanonicalJSON.string(.string(text))
        #expect(Array(written.utf8) == [0x22] + Array(text.utf8) + [0x22], "byte-exact, never \\u escaped")
        #expect(!written.contains("\\u"))
    }

    @Test func escapesWhatMustBeEscaped() {
        #expect(CanonicalJSON.string("a\"b\\c") == #""a\"b\\c""#)
        #expect(CanonicalJSON.string("\n\r\t") == #""\n\r\t""#)
        #expect(CanonicalJSON.string("\u{0}\u{1}\u{8}\u{C}\u{1F}") == #""\u0000\u0001\u0008\u000c\u001f""#)
        #expect(CanonicalJSON.string("/ \u{7F} \u{2028}") == "\"/ \u{7F} \u{2028}\"", "no needless escapes")
        #expect(CanonicalJSON.string(["k\"ey\n": 1]) == #"{"k\"ey\n":1}"#)
    }

    // MARK: Parsing

    @Test func parsesScalarsAndStructures() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("true") == true)
        #expect(try JSONParser.parse(" false ") == false)
        #expect(try JSONParser.parse("0") == 0)
        #expect(try JSONParser.parse("-0") == 0)
        #expect(try JSONParser.parse("-17") == -17)
        #expect(try JSONParser.parse("9223372036854775807") == .int(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808.0), "past Int64 falls back to Double")
        #expect(try JSONParser.parse("1.5") == .double(1.5))
        #expect(try JSONParser.parse("-2.5e3") == .double(-2500))
        #expect(try JSONParser.parse("1E2") == .double(100))
        #expect(try JSONParser.parse("1e-2") == .double(0.01))
        #expect(try JSONParser.parse("1e+2") == .double(100))
        #expect(try JSONParser.parse("\"\"") == "")
        #expect(try JSONParser.parse("[]") == [])
        #expect(try JSONParser.parse("{}") == [:])
        #expect(try JSONParser.parse(" \t\r\n[ 1 , { \"a\" : [ null ] } ]\n") == [1, ["a": [.null]]])
    }

    @Test func parsesEscapes() throws {
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try JSONParser.parse(#""\u0041\u00e7\u015F\u0130\u0131""#) == "Açşİı")
        #expect(try JSONParser.parse(#""\u0000""#) == "\u{0}")
        #expect(try JSONParser.parse(#""a\u00E7b""#) == "açb", "upper-case hex digits")
        #expect(try JSONParser.parse(#""plain then \n escaped""#) == "plain then \n escaped")
        #expect(try JSONParser.parse(#""ş before \t and ğ after""#) == "ş before \t and ğ after")
    }

    @Test func parsesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude42""#) == "🙂")
        #expect(try JSONParser.parse(#""\uD83C\uDDF9\uD83C\uDDF7""#) == "🇹🇷")
        #expect(try JSONParser.parse(#""x\uD800\uDC00y""#) == .string("x\u{10000}y"))
        #expect(try JSONParser.parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        let value = try JSONParser.parse(#""\ud83d\ude42""#)
        #expect(value.stringValue.map { Array($0.unicodeScalars) } == ["\u{1F642}"])
    }

    @Test(arguments: [
        #""\ud83d""#,  // lone high surrogate
        #""\ud83dx""#,
        #""\ud83d\n""#,
        #""\ud83d\u0041""#,  // high surrogate then a non-surrogate
        #""\ud83d\ud83d""#,  // two highs
        #""\ude42""#,  // lone low surrogate
        #""\ude42\ud83d""#,  // reversed pair
        #""\u12""#,
        #""\u12g4""#,
        #""\x""#,
        #""\'""#,
        #""\""#,
    ])
    func rejectsBadEscapes(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func roundTripsTurkishAndEmojiByteExact() throws {
        let samples = [
            "Kamplardaki aileler \"su yok, ilaç yok\" diyor; yardım görevlileri de aynı sözü her gün duyuyor",
            "İstanbul, ırmak, IĞDIR, Şişli, Çağlayan, Üsküdar, Ödemiş",
            "🙂 👍🏽 🇹🇷 👨‍👩‍👧 #Mosul pic.example.org/x7Qk2— Field Reporter (@field_reporter) 28 Aralık 2016",
            "e\u{301} (NFD) vs \u{E9} (NFC)",
            "tab\there \"quoted\" back\\slash\nnew line \u{1} ctrl",
        ]
        for sample in samples {
            let value: JSONValue = ["note": .string(sample), "tags": [.string(sample)], sample: 1]
            let text = CanonicalJSON.string(value)
            let parsed = try JSONParser.parse(text)
            #expect(parsed["note"]?.stringValue.map { Array($0.utf8) } == Array(sample.utf8), "byte-exact: \(sample)")
            #expect(parsed.objectValue?.keys.contains { Array($0.utf8) == Array(sample.utf8) } == true)
            #expect(CanonicalJSON.string(parsed) == text)
            #expect(Array(CanonicalJSON.string(parsed).utf8) == Array(text.utf8))
        }
    }

    @Test func nfdTextIsNotNormalizedByTheRoundTrip() throws {
        let nfd = "Mu\u{308}nchen s\u{327}"
        let parsed = try JSONParser.parse(CanonicalJSON.string(.string(nfd)))
        #expect(parsed.stringValue.map { Array($0.unicodeScalars) } == Array(nfd.unicodeScalars))
    }

    @Test func parsesFromBytes() throws {
        let bytes = Array(#"{"a":"ş🙂"}"#.utf8)
        #expect(try JSONParser.parse(bytes: bytes) == ["a": "ş🙂"])
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22],  // 0xFF never appears in UTF-8
        [0x22, 0xC3, 0x22],  // truncated two-byte sequence
        [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0x80, 0x22],  // lone continuation byte
        [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // invalid after an escape (slow path)
        [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],  // invalid key
        [0xFF],  // outside any string
        [0xEF, 0xBB, 0xBF, 0x31],  // a byte-order mark is not JSON
    ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: bytes) }
    }

    @Test(arguments: [
        "", " ", "{} x", "1 2", "[] []", "nullx", "true false", "{}}", "[1]]", "\"a\"\"", "0 ,",
    ])
    func rejectsTrailingGarbageAndEmptyInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test(arguments: [
        "01", "-01", "00", "00.5", "012e3", "-00",
    ])
    func rejectsLeadingZeros(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test(arguments: [
        "-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "--1", "0x10", "1e400", "-1e400", "NaN", "Infinity", "- 1",
    ])
    func rejectsBadNumbers(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test(arguments: [
        "[1,]", "[,1]", "{,}", #"{"a":1,}"#, #"{"a"}"#, #"{"a":}"#, #"{a:1}"#, "{'a':1}", "[1 2]", #"{"a":1 "b":2}"#,
        "[", "{", #"{"a":"#, #""abc"#, "tru", "nul", "fals", "[\"a\nb\"]", "\"\u{1}\"", "\"\t\"",
    ])
    func rejectsMalformedStructure(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsDuplicateKeys() throws {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"a":1}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"x":{"ş":1,"\u015f":2}}"#) }
        // The same key in different objects is fine.
        #expect(try JSONParser.parse(#"{"a":{"a":1},"b":{"a":2}}"#) == ["a": ["a": 1], "b": ["a": 2]])
    }

    @Test func depthLimit() throws {
        func nested(_ depth: Int, open: String, close: String) -> String {
            String(repeating: open, count: depth) + String(repeating: close, count: depth)
        }
        let limit = JSONParser.defaultMaxDepth
        #expect(limit == 64)
        _ = try JSONParser.parse(nested(limit, open: "[", close: "]"))
        _ = try JSONParser.parse(String(repeating: "{\"a\":", count: limit) + "1" + String(repeating: "}", count: limit))
        #expect(throws: JSONParseError.self) { try JSONParser.parse(nested(limit + 1, open: "[", close: "]")) }
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1))
        }
        // Mixed nesting counts both kinds.
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "[{\"a\":", count: 33) + "1" + String(repeating: "}]", count: 33))
        }
        // Hostile input stops early instead of recursing a million times.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: "[", count: 1_000_000)) }
        // A custom limit.
        _ = try JSONParser.parse("[[1]]", maxDepth: 2)
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[[[1]]]", maxDepth: 2) }
    }

    @Test func errorsSayWhere() {
        do {
            _ = try JSONParser.parse("[1, 2, x]")
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 7)
            #expect(error.description.contains("byte 7"))
        }
        do {
            _ = try JSONParser.parse(#"{"a":1,"a":2}"#)
            Issue.record("parsed")
        } catch {
            #expect(error.reason.contains("duplicate"))
        }
    }

    // MARK: Round trips

    static func randomString(_ rng: inout SplitMix64) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "ş", "ğ", "ı", "İ", "ö", "ü",
            "ç", "\u{301}", "\u{308}", "\u{2028}", "\u{FEFF}", "\u{FFFF}", "🙂", "\u{1F1F9}", "\u{200D}", "\u{10FFFF}",
        ]
        var view = String.UnicodeScalarView()
        for _ in 0..<rng.int(0..<12) { view.append(rng.pick(pool)) }
        return String(view)
    }

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        switch rng.int(0..<(depth > 4 ? 6 : 8)) {
        case 0: return .null
        case 1: return .bool(rng.chance(0.5))
        case 2: return .int(Int64(bitPattern: rng.next()) >> rng.int(0..<63))
        case 3:
            let number = Double(Int64(bitPattern: rng.next()) >> 20) / Double(1 << rng.int(0..<40))
            return .double(number)
        case 4, 5: return .string(randomString(&rng))
        case 6: return .array((0..<rng.int(0..<4)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<rng.int(0..<4) { object[randomString(&rng)] = randomValue(&rng, depth: depth + 1) }
            return .object(object)
        }
    }

    /// Equality by canonical meaning: integral doubles and integers are the same number.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return Array(x.unicodeScalars) == Array(y.unicodeScalars)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        default: return a == b
        }
    }

    @Test func randomValuesRoundTrip() throws {
        for seed in 0..<500 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let value = Self.randomValue(&rng, depth: 0)
            let text = CanonicalJSON.string(value)
            let parsed: JSONValue
            do { parsed = try JSONParser.parse(text) } catch {
                Issue.record("seed \(seed): \(error) in \(text)")
                continue
            }
            #expect(Self.same(parsed, value), "seed \(seed): \(text)")
            #expect(CanonicalJSON.string(parsed) == text, "seed \(seed): canonical text is a fixed point")
            var bytes: [UInt8] = []
            CanonicalJSON.write(value, to: &bytes)
            #expect(bytes == Array(text.utf8), "seed \(seed)")
        }
    }

    @Test func nonCanonicalInputBecomesCanonical() throws {
        let messy = "{ \"b\" : [ 1 , 2.50 , 3.0 ] ,\n \"a\" : \"\\u015f\\/\" , \"c\": -0 }"
        #expect(CanonicalJSON.string(try JSONParser.parse(messy)) == #"{"a":"ş/","b":[1,2.5,3],"c":0}"#)
    }

    // MARK: Accessors

    @Test func accessors() {
        let value: JSONValue = ["s": "x", "i": 3, "d": .double(4.0), "f": .double(4.5), "a": ["p", "q"], "m": ["p", 1]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 3)
        #expect(value["d"]?.intValue == 4)
        #expect(value["f"]?.intValue == nil)
        #expect(value["s"]?.intValue == nil)
        #expect(value["a"]?.stringArrayValue == ["p", "q"])
        #expect(value["m"]?.stringArrayValue == nil)
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["s"] == nil)
        #expect(value.objectValue?.count == 6)
        #expect(value.arrayValue == nil)
        #expect(JSONValue.double(1e16).intValue == nil)
        let empty: [String] = []
        #expect(JSONValue.array([]).stringArrayValue == empty)
    }
}
