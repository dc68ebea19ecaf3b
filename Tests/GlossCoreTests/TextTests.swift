import Testing

@testable import GlossCore

@Suite struct TextFoldingTests {
    @Test(arguments: ["irak", "IRAK", "ırak", "İrak", "Irak", "IRAk", "iRAK", "İRAK", "ıRAK"])
    func turkishIFoldsTogether(_ word: String) {
        #expect(TextFolding.fold(word) == TextFolding.fold("Irak"))
        #expect(Array(TextFolding.fold(word).unicodeScalars) == Array("irak".unicodeScalars))
    }

    @Test func everyIFoldsToPlainI() {
        for scalar in ["I", "i", "ı", "İ"] as [Unicode.Scalar] {
            #expect(TextFolding.fold(scalar) == "i", "\(scalar)")
        }
    }

    @Test(arguments: [
        ("ş", "s"), ("Ş", "s"), ("ğ", "g"), ("Ğ", "g"), ("ö", "o"), ("Ö", "o"), ("ü", "u"), ("Ü", "u"),
        ("ç", "c"), ("Ç", "c"), ("â", "a"), ("î", "i"), ("û", "u"), ("é", "e"), ("Å", "a"), ("ñ", "n"),
    ] as [(Unicode.Scalar, Unicode.Scalar)])
    func diacriticsAndCaseFold(_ input: Unicode.Scalar, _ expected: Unicode.Scalar) {
        #expect(TextFolding.fold(input) == expected)
    }

    @Test func foldsTurkishSentences() {
        #expect(TextFolding.fold("DEAŞ militanları örgütün") == "deas militanlari orgutun")
        #expect(TextFolding.fold("Çatışmaların GÜNEY doğu") == "catismalarin guney dogu")
        #expect(TextFolding.fold("IĞDIR İSTANBUL Şişli") == "igdir istanbul sisli")
        #expect(TextFolding.fold("ASCII stays: 0-9 _#@!") == "ascii stays: 0-9 _#@!")
    }

    @Test func unfoldableScalarsStayPut() {
        // Lowercase mappings that are several scalars cannot keep offsets, so they stay.
        #expect(TextFolding.fold("ß") == "ß")
        #expect(TextFolding.fold("\u{FB01}") == "\u{FB01}")
        #expect(TextFolding.fold("🙂👍🏽") == "🙂👍🏽")
        #expect(TextFolding.fold("\u{301}") == "\u{301}", "a lone combining mark stays one scalar")
        #expect(TextFolding.fold("日本語") == "日本語")
        #expect(TextFolding.fold("") == "")
    }

    @Test func otherScriptsLowercase() {
        #expect(TextFolding.fold("ΑΘΗΝΑ") == "αθηνα")
        #expect(TextFolding.fold("МОСКВА") == "москва")
        #expect(TextFolding.fold("Ά") == "α")
    }

    @Test func distinctLettersStayDistinct() {
        // Folding merges case and diacritics, not different letters.
        let pairs: [(String, String)] = [
            ("가", "고"), ("한", "하"), ("각", "가"),  // Hangul syllables are whole letters, not a jamo plus marks
            ("\u{9CB}", "\u{9C7}"),  // Bengali two-part vowel sign O is not vowel sign E plus an accent
            ("a", "b"), ("s", "z"), ("ı", "l"), ("o", "0"), ("α", "ω"), ("к", "и"),
        ]
        for (a, b) in pairs {
            #expect(TextFolding.fold(a) != TextFolding.fold(b), "\(a) and \(b) must not fold together")
        }
    }

    @Test func nfdInputKeepsItsMarks() {
        // Decomposed text folds each scalar on its own: the base letter folds, the mark stays.
        let nfd = "S\u{327}"
        #expect(Array(TextFolding.fold(nfd).unicodeScalars) == ["s", "\u{327}"])
    }

    static let pool: [Unicode.Scalar] = [
        "a", "Z", "I", "i", "ı", "İ", "ş", "Ş", "ğ", "Ğ", "ö", "Ö", "ü", "Ü", "ç", "Ç", "ß", "\u{FB01}",
        "\u{301}", "\u{308}", "\u{327}", "\u{307}", "\u{200D}", "\u{FE0F}", "🙂", "👍", "\u{1F3FD}", "\u{1F1F9}",
        "\u{1F1F7}", "가", "日", "Ω", "\u{2126}", "\u{212B}", "Σ", "ς", "ǅ", "\u{1E9E}", "\u{10400}", "\n", " ",
        "\u{0}", "\u{FFFF}", "\u{10FFFF}", "ﬃ", "Ⅻ", "①",
    ]

    @Test func foldKeepsTheScalarCount() {
        for seed in 0..<300 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            var view = String.UnicodeScalarView()
            for _ in 0..<rng.int(0..<40) { view.append(rng.pick(Self.pool)) }
            let text = String(view)
            let folded = TextFolding.fold(text)
            #expect(folded.unicodeScalars.count == text.unicodeScalars.count, "seed \(seed): \(text.debugDescription)")
            // Scalar by scalar: the folded string is the folded scalars.
            #expect(Array(folded.unicodeScalars) == text.unicodeScalars.map(TextFolding.fold), "seed \(seed)")
            // Folding is idempotent.
            #expect(Array(TextFolding.fold(folded).unicodeScalars) == Array(folded.unicodeScalars), "seed \(seed)")
        }
    }

    @Test func everyBMPScalarFoldsToOneScalarTheSameWayTwice() {
        var count = 0
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let first = TextFolding.fold(scalar)  // computed
            let again = TextFolding.fold(scalar)  // cached
            if first != again { Issue.record("U+\(String(value, radix: 16)) folded differently from the cache") }
            if TextFolding.fold(String(scalar)).unicodeScalars.elementsEqual([first]) == false {
                Issue.record("U+\(String(value, radix: 16)): string and scalar folds disagree")
            }
            count += 1
        }
        #expect(count > 60_000)
    }

    @Test func foldIsThreadSafe() async {
        let words = ["İSTANBUL", "ığdır", "ŞİŞLİ", "Çağlayan", "Ödemiş", "Üsküdar"]
        let expected = words.map(TextFolding.fold)
        await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<200).flatMap { _ in words.map(TextFolding.fold) }.suffix(words.count) } }
            for await result in group { #expect(Array(result) == expected) }
        }
    }
}

@Suite struct ScalarTextTests {
    @Test func countsScalarsNotCharactersOrBytes() {
        let text = ScalarText("ş🙂e\u{301}🇹🇷")
        // ş, 🙂, e, U+0301, two regional indicators.
        #expect(text.count == 6)
        #expect(text.slice(0, 1) == "ş")
        #expect(text.slice(1, 2) == "🙂")
        #expect(Array(text.slice(2, 4).unicodeScalars) == ["e", "\u{301}"])
        #expect(Array(text.slice(3, 4).unicodeScalars) == ["\u{301}"], "a slice can split a character")
        #expect(text.slice(4, 6) == "🇹🇷")
    }

    @Test func sliceClamps() {
        let text = ScalarText("abcdef")
        #expect(text.slice(-5, 2) == "ab")
        #expect(text.slice(4, 100) == "ef")
        #expect(text.slice(3, 3) == "")
        #expect(text.slice(4, 2) == "")
        #expect(text.slice(10, 20) == "")
        #expect(text.slice(-3, -1) == "")
        #expect(ScalarText("").slice(0, 1) == "")
    }

    @Test func occurrences() {
        let text = ScalarText("Irak'ta Irak, irak ve IRAK")
        #expect(text.occurrences(of: "Irak") == [0, 8])
        #expect(text.occurrences(of: "k") == [3, 11, 17])
        #expect(text.occurrences(of: "") == [])
        #expect(text.occurrences(of: "Iraq") == [])
        #expect(text.occurrences(of: "Irak'ta Irak, irak ve IRAK") == [0])
        #expect(text.occurrences(of: "Irak'ta Irak, irak ve IRAK!") == [])
        #expect(ScalarText("aaaa").occurrences(of: "aa") == [0, 1, 2], "overlapping occurrences count")
        #expect(ScalarText("").occurrences(of: "a") == [])
    }

    @Test func occurrencesAreInScalars() {
        let text = ScalarText("🙂 Musul 🇹🇷 Musul")
        #expect(text.occurrences(of: "Musul") == [2, 11])
        #expect(text.slice(11, 16) == "Musul")
        // Matching is by scalars: NFD does not match NFC.
        #expect(ScalarText("caf\u{E9}").occurrences(of: "e\u{301}") == [])
        #expect(ScalarText("cafe\u{301}").occurrences(of: "e\u{301}") == [3])
        #expect(ScalarText("cafe\u{301}").occurrences(of: "e") == [3], "a base letter matches even before a mark")
    }

    @Test func foldedOccurrencesMapBackToTheOriginal() {
        let original = "Irak güvenlik güçleri ve DEAŞ militanları Musul'da; İRAK, ırak"
        let folded = ScalarText(TextFolding.fold(original))
        let text = ScalarText(original)
        let hits = folded.occurrences(of: TextFolding.fold("irak"))
        #expect(hits.count == 3)
        #expect(hits.map { text.slice($0, $0 + 4) } == ["Irak", "İRAK", "ırak"])
        let deas = folded.occurrences(of: TextFolding.fold("Deaş"))
        #expect(deas.map { text.slice($0, $0 + 4) } == ["DEAŞ"])
    }

    @Test func lineAndColumn() {
        let text = ScalarText("ab\nşğ🙂\n\nx")
        #expect(text.lineAndColumn(of: 0) == (1, 1))
        #expect(text.lineAndColumn(of: 2) == (1, 3))
        #expect(text.lineAndColumn(of: 3) == (2, 1))
        #expect(text.lineAndColumn(of: 5) == (2, 3))
        #expect(text.lineAndColumn(of: 8) == (4, 1))
        #expect(text.lineAndColumn(of: 100) == (4, 2))
    }

    @Test func randomSlicesReassemble() {
        for seed in 0..<200 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            var view = String.UnicodeScalarView()
            for _ in 0..<rng.int(0..<30) { view.append(rng.pick(TextFoldingTests.pool)) }
            let text = ScalarText(String(view))
            let cut = rng.int(0..<(text.count + 1))
            let joined = text.slice(0, cut).unicodeScalars.map { $0 } + text.slice(cut, text.count).unicodeScalars.map { $0 }
            #expect(joined == text.scalars, "seed \(seed)")
            #expect(text.slice(cut, text.count).unicodeScalars.count == text.count - cut, "seed \(seed)")
        }
    }
}
