import Testing

@testable import GlossCore

private func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

private func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    return String(view)
}

/// `old` with `edits` applied, taking the replacements from `new`.
private func apply(_ edits: [TextDiff.Edit], to old: [Unicode.Scalar], from new: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var result: [Unicode.Scalar] = []
    var position = 0
    for edit in edits {
        result.append(contentsOf: old[position..<edit.old.lowerBound])
        result.append(contentsOf: new[edit.new])
        position = edit.old.upperBound
    }
    result.append(contentsOf: old[position...])
    return result
}

/// The length of the longest common subsequence, by the textbook table.
private func lcs(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    guard !b.isEmpty else { return 0 }
    var row = [Int](repeating: 0, count: b.count + 1)
    for x in a {
        var diagonal = 0
        for j in 1...b.count {
            let above = row[j]
            row[j] = x == b[j - 1] ? diagonal + 1 : max(row[j], row[j - 1])
            diagonal = above
        }
    }
    return row[b.count]
}

@Suite struct TextDiffTests {
    @Test func editsOfASmallCorrection() {
        let old = "Musul'un doğsunda IŞİD militanlari."
        let new = "Musul'un doğusunda IŞİD militanları."
        let edits = TextDiff.edits(from: old, to: new)
        #expect(edits == [TextDiff.Edit(old: 12..<12, new: 12..<13), TextDiff.Edit(old: 33..<34, new: 34..<35)])
        #expect(apply(edits, to: scalars(old), from: scalars(new)) == scalars(new))
    }

    @Test func editsAtTheEdgesAndOfEmptyTexts() {
        #expect(TextDiff.edits(from: "", to: "") == [])
        #expect(TextDiff.edits(from: "abc", to: "abc") == [])
        #expect(TextDiff.edits(from: "", to: "abc") == [TextDiff.Edit(old: 0..<0, new: 0..<3)])
        #expect(TextDiff.edits(from: "abc", to: "") == [TextDiff.Edit(old: 0..<3, new: 0..<0)])
        #expect(TextDiff.edits(from: "xabc", to: "abcy") == [TextDiff.Edit(old: 0..<1, new: 0..<0), TextDiff.Edit(old: 4..<4, new: 3..<4)])
        #expect(TextDiff.edits(from: "abc", to: "xyz") == [TextDiff.Edit(old: 0..<3, new: 0..<3)])
    }

    @Test func offsetsCountScalarsNotCharacters() {
        // 👍🏽 is two scalars, é decomposed is two, a flag is two, CRLF is two.
        let old = "a👍🏽 e\u{301} 🇹🇷\r\nb"
        let new = "a👍🏽 e\u{301}! 🇹🇷\r\nbc"
        let edits = TextDiff.edits(from: old, to: new)
        #expect(edits == [TextDiff.Edit(old: 6..<6, new: 6..<7), TextDiff.Edit(old: 12..<12, new: 13..<14)])
        #expect(TextDiff.edits(from: "👍🏽", to: "👍🏿") == [TextDiff.Edit(old: 1..<2, new: 1..<2)])
    }

    @Test func randomDiffsApplyAndAreMinimal() {
        let pool: [Unicode.Scalar] = ["a", "b", "c", "ı", "ş", "🙂", "\u{301}", "\r", "\n"]
        for seed in 0..<400 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let old = (0..<rng.int(0..<40)).map { _ in rng.pick(pool) }
            let new = (0..<rng.int(0..<40)).map { _ in rng.pick(pool) }
            let edits = TextDiff.edits(old, new)
            #expect(apply(edits, to: old, from: new) == new, "seed \(seed)")
            let changed = edits.reduce(0) { $0 + $1.old.count + $1.new.count }
            #expect(changed == old.count + new.count - 2 * lcs(old, new), "seed \(seed): not minimal")
            for (left, right) in zip(edits, edits.dropFirst()) {
                #expect(left.old.upperBound < right.old.lowerBound, "seed \(seed): edits touch")
            }
        }
    }

    @Test func budgetRunsOutIntoACoarseButCorrectEdit() {
        var rng = SplitMix64(seed: 9)
        let pool: [Unicode.Scalar] = ["a", "b", "c", "d"]
        let old = (0..<2000).map { _ in rng.pick(pool) }
        let new = (0..<2000).map { _ in rng.pick(pool) }
        let coarse = TextDiff.edits(old, new, budget: 1000)
        #expect(apply(coarse, to: old, from: new) == new)
        let fine = TextDiff.edits(old, new)
        #expect(apply(fine, to: old, from: new) == new)
        #expect(coarse.count < fine.count)
    }

    @Test func largeTextWithSmallEditsIsFast() {
        // One megabyte of scalars: trimming the common prefix and suffix leaves a small middle.
        var rng = SplitMix64(seed: 3)
        let pool = Array("abcçdefgğhıijklmnoöprsştuüvyz ".unicodeScalars)
        let old = (0..<1_000_000).map { _ in rng.pick(pool) }
        var new = old
        new[400_000] = "X"
        new.insert(contentsOf: "yeni".unicodeScalars, at: 600_000)
        let clock = ContinuousClock()
        var edits: [TextDiff.Edit] = []
        let elapsed = clock.measure { edits = TextDiff.edits(old, new) }
        #expect(edits.count == 2)
        #expect(edits.first == TextDiff.Edit(old: 400_000..<400_001, new: 400_000..<400_001))
        #expect(edits.reduce(0) { $0 + $1.old.count + $1.new.count } == 6)
        #expect(apply(edits, to: old, from: new) == new)
        #expect(elapsed < .seconds(5))
    }
}

@Suite struct TextMergeTests {
    let base = "Musul'un doğsunda IŞİD militanlari ile çatışmalar sürüyor. Bagdat hükümeti açıklama yaptı."

    @Test func disjointEditsMerge() {
        let a = "Musul'un doğusunda IŞİD militanlari ile çatışmalar sürüyor. Bagdat hükümeti açıklama yaptı."
        let b = "Musul'un doğsunda IŞİD militanlari ile çatışmalar sürüyor. Bağdat hükümeti açıklama yaptı."
        let merged = "Musul'un doğusunda IŞİD militanlari ile çatışmalar sürüyor. Bağdat hükümeti açıklama yaptı."
        #expect(TextMerge.merge(base: base, a, b) == merged)
        #expect(TextMerge.merge(base: base, b, a) == merged)
    }

    @Test func manyDisjointEditsOnBothSides() {
        let a = "Musul'un doğusunda IŞİD militanları ile çatışmalar sürüyor. Bagdat hükümeti açıklama yaptı."
        let b = "Musul'un doğsunda IŞİD militanlari ile çatışmalar hâlâ sürüyor. Bağdat hükümeti dün açıklama yaptı!"
        let merged = "Musul'un doğusunda IŞİD militanları ile çatışmalar hâlâ sürüyor. Bağdat hükümeti dün açıklama yaptı!"
        #expect(TextMerge.merge(base: base, a, b) == merged)
        #expect(TextMerge.merge(base: base, b, a) == merged)
    }

    @Test func overlappingDifferentEditsConflict() {
        let a = base.replacingAll("militanlari", with: "militanları")
        let b = base.replacingAll("militanlari", with: "militanlar")
        #expect(TextMerge.merge(base: base, a, b) == nil)
        #expect(TextMerge.merge(base: base, b, a) == nil)
        // Diffs compare scalars, so a rewrite that happens to share A's fix keeps it once.
        let rewritten = base.replacingAll("militanlari", with: "savaşçıları")
        #expect(TextMerge.merge(base: base, a, rewritten) == rewritten)
        // One side deletes a sentence the other corrected.
        let deleted = base.replacingAll(" Bagdat hükümeti açıklama yaptı.", with: "")
        let corrected = base.replacingAll("Bagdat", with: "Bağdat")
        #expect(TextMerge.merge(base: base, deleted, corrected) == nil)
        #expect(TextMerge.merge(base: base, corrected, deleted) == nil)
    }

    @Test func identicalEditsMergeOnce() {
        let fixed = base.replacingAll("doğsunda", with: "doğusunda")
        #expect(TextMerge.merge(base: base, fixed, fixed) == fixed)
        // The same fix on both sides, plus a different one on each.
        let a = fixed.replacingAll("militanlari", with: "militanları")
        let b = fixed.replacingAll("Bagdat", with: "Bağdat")
        let both = fixed.replacingAll("militanlari", with: "militanları").replacingAll("Bagdat", with: "Bağdat")
        #expect(TextMerge.merge(base: base, a, b) == both)
        #expect(TextMerge.merge(base: base, b, a) == both)
    }

    @Test func unchangedSideTakesTheOther() {
        let a = base.replacingAll("doğsunda", with: "doğusunda")
        #expect(TextMerge.merge(base: base, a, base) == a)
        #expect(TextMerge.merge(base: base, base, a) == a)
        #expect(TextMerge.merge(base: base, base, base) == base)
        #expect(TextMerge.merge(base: "", "yeni metin", "") == "yeni metin")
        #expect(TextMerge.merge(base: "", "a", "b") == nil)
        #expect(TextMerge.merge(base: base, "", "") == "")
    }

    @Test func insertionsAtTheSamePoint() {
        let a = base.replacingAll("sürüyor.", with: "sürüyor. Sivil kayıp var.")
        let b = base.replacingAll("sürüyor.", with: "sürüyor. Göç başladı.")
        #expect(TextMerge.merge(base: base, a, b) == nil, "their order would be arbitrary")
        #expect(TextMerge.merge(base: base, a, a) == a)
    }

    @Test func editsOfTheSameWordConflictEditsOfOtherWordsMerge() {
        // A fixes "doğsunda"; B replaces the space after it and the next word: both touch "doğsunda".
        let a = base.replacingAll("doğsunda", with: "doğusunda")
        let b = base.replacingAll(" IŞİD", with: "_DEAŞ")
        #expect(TextMerge.merge(base: base, a, b) == nil)
        #expect(TextMerge.merge(base: base, b, a) == nil)
        // B fixes only the next word: different words merge, even side by side.
        let c = base.replacingAll("IŞİD", with: "DEAŞ")
        #expect(TextMerge.merge(base: base, a, c) == base.replacingAll("doğsunda IŞİD", with: "doğusunda DEAŞ"))
        #expect(TextMerge.merge(base: base, c, a) == base.replacingAll("doğsunda IŞİD", with: "doğusunda DEAŞ"))
        // One word corrected two ways never comes out as a mix of both.
        #expect(TextMerge.merge(base: "bağımsız kaynaklarca", "bağımsız kaynaklar tarafından", "bağımsız kaynaklarınca") == nil)
        #expect(TextMerge.merge(base: "Musul'un doğusunda", "Musul'un doğusunda", "Musul'nun doğusunda") == "Musul'nun doğusunda")
        #expect(TextMerge.merge(base: "Musul'un doğusunda", "Musul'ın doğusunda", "Musul'nun doğusunda") == nil, "a suffix is part of its word")
    }

    /// An edit inside a run of equal scalars may be diffed at any point of the run; the
    /// same edit made on both sides must still be recognised and applied once.
    @Test func theSameEditInARunOfEqualScalarsIsAppliedOnce() {
        let base = "Bir paragraf.\n\nİkinci paragraf.\n"
        let appended = base + "\n"
        let both = "Bir paragraf düzeltildi.\n\nİkinci paragraf.\n\n"
        #expect(TextMerge.merge(base: base, appended, both) == both)
        #expect(TextMerge.merge(base: base, both, appended) == both)
        #expect(TextMerge.merge(base: "ab  cd", "ab   cd", "xb   cd") == "xb   cd")
        #expect(TextMerge.merge(base: "ab  cd", "xb   cd", "ab   cd") == "xb   cd")
    }

    @Test func anInsertionBesideAWordTouchesThatWord() {
        #expect(TextMerge.merge(base: "kedi", "büyük kedi", "köpek") == nil)
        #expect(TextMerge.merge(base: "kedi", "kedi!", "köpek") == nil)
        // A word away, they merge; an insertion goes before a replacement at the same point.
        #expect(TextMerge.merge(base: "kara kedi", "büyük kara kedi", "kara köpek") == "büyük kara köpek")
        #expect(TextMerge.merge(base: "kara kedi", "kara köpek", "büyük kara kedi") == "büyük kara köpek")
        #expect(TextMerge.merge(base: "kara kedi", "kara kedi!", "kapkara kedi") == "kapkara kedi!")
    }

    @Test func insertionInsideAReplacedRangeConflicts() {
        let text = "abcdef"
        #expect(TextMerge.merge(base: text, "abcXdef", "aZZf") == nil)
        #expect(TextMerge.merge(base: text, "aZZf", "abcXdef") == nil)
    }

    @Test func emojiAndNonBMPScalars() {
        let text = "Haber 🙂 Musul 👨‍👩‍👧 aile 🇹🇷 döndü e\u{301}."
        let a = text.replacingAll("🙂", with: "😀")
        let b = text.replacingAll("🇹🇷", with: "🇮🇶").replacingAll("e\u{301}", with: "é")
        let merged = "Haber 😀 Musul 👨‍👩‍👧 aile 🇮🇶 döndü é."
        #expect(TextMerge.merge(base: text, a, b) == merged)
        #expect(TextMerge.merge(base: text, b, a) == merged)
        #expect(TextMerge.merge(base: text, a, b).map(scalars) == scalars(merged))
        // Different scalars of one ZWJ sequence merge; the same scalar changed differently conflicts.
        let man = text.replacingAll("👨‍👩‍👧", with: "👨‍👩‍👦")
        let woman = text.replacingAll("👨‍👩‍👧", with: "👩‍👩‍👧")
        #expect(TextMerge.merge(base: text, man, woman).map(scalars) == scalars(text.replacingAll("👨‍👩‍👧", with: "👩‍👩‍👦")))
        let baby = text.replacingAll("👨‍👩‍👧", with: "👨‍👩‍👶")
        #expect(TextMerge.merge(base: text, man, baby) == nil)
    }

    @Test func canonicallyEquivalentTextsAreStillDifferentScalars() {
        // "é" precomposed and decomposed are equal Strings but different scalars.
        #expect(TextMerge.merge(base: "cafe", "cafe\u{301}", "cafe\u{300}") == nil, "different marks inserted at the same point")
        #expect(TextMerge.merge(base: "cafe", "cafe\u{301}", "cafe\u{301}").map(scalars) == scalars("cafe\u{301}"))
        let same = TextMerge.merge(base: "cafe\u{301}", "café", "cafe\u{301}")
        #expect(same.map(scalars) == scalars("café"))
    }

    static let pool: [Unicode.Scalar] = ["a", "b", "ı", "i", "ş", " ", "🙂", "👍", "\u{1F3FD}", "\u{301}", "\n"]

    /// `text` with a few random replacements.
    static func randomlyEdited(_ text: [Unicode.Scalar], _ rng: inout SplitMix64) -> [Unicode.Scalar] {
        var result = text
        for _ in 0..<rng.int(0..<4) {
            let at = rng.int(0..<(result.count + 1))
            let removed = rng.int(0..<min(5, result.count - at + 1))
            let inserted = (0..<rng.int(0..<5)).map { _ in rng.pick(pool) }
            result.replaceSubrange(at..<(at + removed), with: inserted)
        }
        return result
    }

    @Test func mergeIsSymmetric() {
        var merged = 0
        for seed in 0..<1000 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let base = (0..<rng.int(0..<60)).map { _ in rng.pick(Self.pool) }
            let a = Self.randomlyEdited(base, &rng), b = Self.randomlyEdited(base, &rng)
            let ab = TextMerge.merge(base, a, b), ba = TextMerge.merge(base, b, a)
            #expect(ab == ba, "seed \(seed)")
            #expect(TextMerge.merge(base: string(base), string(a), string(b)).map(scalars) == ab, "seed \(seed)")
            #expect(TextMerge.merge(base, a, base) == a)
            #expect(TextMerge.merge(base, a, a) == a)
            if ab != nil { merged += 1 }
        }
        #expect(merged > 300, "most random edit pairs are far enough apart to merge")
    }

    /// Texts of words; each side rewrites, deletes or inserts whole words, never the same
    /// word as the other side: the merge holds both sides' edits.
    @Test func editsOfDifferentWordsMergeToBoth() {
        let letters = Array("abcçdefgğhıijklmnoöprsştuüvyzABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ0123456789".unicodeScalars)
        func word(_ rng: inout SplitMix64) -> [Unicode.Scalar] { (0..<rng.int(1..<9)).map { _ in rng.pick(letters) } }
        for seed in 0..<500 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let words = (0..<rng.int(3..<40)).map { _ in word(&rng) }
            var a: [[Unicode.Scalar]] = [], b: [[Unicode.Scalar]] = [], expected: [[Unicode.Scalar]] = []
            var lastEdited = -2
            for (index, original) in words.enumerated() {
                // Edit one word in four, never two neighbours (an edit widens to its word only,
                // but a deleted word's space makes its neighbours touch).
                guard index > lastEdited + 1, rng.chance(0.25) else {
                    a.append(original); b.append(original); expected.append(original)
                    continue
                }
                lastEdited = index
                var replacement = word(&rng)
                while replacement == original { replacement = word(&rng) }
                if rng.chance(0.5) {
                    a.append(replacement); b.append(original)
                } else {
                    a.append(original); b.append(replacement)
                }
                expected.append(replacement)
            }
            func joined(_ words: [[Unicode.Scalar]]) -> [Unicode.Scalar] { Array(words.joined(separator: [" "])) }
            let base = joined(words)
            #expect(TextMerge.merge(base, joined(a), joined(b)) == joined(expected), "seed \(seed)")
            #expect(TextMerge.merge(base, joined(b), joined(a)) == joined(expected), "seed \(seed)")
        }
    }
}

extension String {
    /// The string with every occurrence of `target` replaced, compared scalar by scalar.
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        let text = ScalarText(self), pattern = Array(target.unicodeScalars)
        var result: [Unicode.Scalar] = []
        var position = 0
        for start in text.occurrences(of: target) where start >= position {
            result += text.scalars[position..<start]
            result += replacement.unicodeScalars
            position = start + pattern.count
        }
        result += text.scalars[position...]
        return string(result)
    }
}
