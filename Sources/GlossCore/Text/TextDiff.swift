/// Scalar-level differences between two texts, by Myers' O(ND) algorithm in linear space.
///
/// Offsets are Unicode scalars, like every offset in Gloss. The common prefix and suffix are
/// trimmed first, so a typical correction (a few scalars changed in a long article) costs
/// one pass over the text.
public enum TextDiff {
    /// One change: the scalars `old` of the old text became the scalars `new` of the new text.
    /// One of the two ranges may be empty (an insertion or a deletion), never both.
    public struct Edit: Sendable, Hashable {
        /// The replaced scalars of the old text.
        public var old: Range<Int>
        /// The scalars of the new text that replace them.
        public var new: Range<Int>

        /// An edit replacing `old` (offsets in the old text) by `new` (offsets in the new text).
        public init(old: Range<Int>, new: Range<Int>) {
            self.old = old
            self.new = new
        }
    }

    /// How much work one diff may do (diagonal steps plus snake steps) before it gives up on
    /// the rest of the texts: a few tenths of a second. Texts this different are reported
    /// coarsely rather than slowly.
    static let defaultBudget = 50_000_000

    /// The edits that turn `old` into `new`, in order, none touching another: between two
    /// edits lies at least one unchanged scalar.
    ///
    /// The diff is minimal (Myers) unless the texts differ so much that it would take more than
    /// about 50 million steps; the still-unresolved middle of the texts is then reported as one
    /// replaced range. That is still a correct edit script, only coarser (so a merge of heavily
    /// rewritten texts conflicts more readily). Pure and deterministic.
    public static func edits(from old: String, to new: String) -> [Edit] {
        edits(Array(old.unicodeScalars), Array(new.unicodeScalars))
    }

    /// The edits that turn `old` into `new`, as for two strings.
    public static func edits(from old: ScalarText, to new: ScalarText) -> [Edit] {
        edits(old.scalars, new.scalars)
    }

    /// The diff of two sequences of any comparable elements (scalars, folded scalar values).
    static func edits<Element: Equatable>(_ a: [Element], _ b: [Element], budget: Int = defaultBudget) -> [Edit] {
        var differ = Differ(a: a, b: b, budget: budget)
        differ.diff(0, a.count, 0, b.count)
        return slidLeft(differ.edits, a, b)
    }

    /// The edits with every pure insertion and deletion slid as far left as it can go
    /// while saying the same thing ("\n" added to a run of line breaks goes before the
    /// run, not after it). A diff may put such an edit anywhere in the run; sliding gives
    /// every diff the same answer, so two sides that made the same edit show the same
    /// edit, and a three-way merge applies it once instead of twice.
    static func slidLeft<Element: Equatable>(_ edits: [Edit], _ a: [Element], _ b: [Element]) -> [Edit] {
        var result: [Edit] = []
        result.reserveCapacity(edits.count)
        for var edit in edits {
            // The previous edit's end, with one unchanged element kept between the two.
            let floor = (result.last?.old.upperBound ?? -1) + 1
            if edit.old.isEmpty {
                while edit.old.lowerBound > floor, edit.new.lowerBound > 0,
                    a[edit.old.lowerBound - 1] == b[edit.new.upperBound - 1]
                {
                    edit = Edit(old: (edit.old.lowerBound - 1)..<(edit.old.lowerBound - 1), new: (edit.new.lowerBound - 1)..<(edit.new.upperBound - 1))
                }
            } else if edit.new.isEmpty {
                while edit.old.lowerBound > floor, edit.new.lowerBound > 0, a[edit.old.lowerBound - 1] == a[edit.old.upperBound - 1] {
                    edit = Edit(old: (edit.old.lowerBound - 1)..<(edit.old.upperBound - 1), new: (edit.new.lowerBound - 1)..<(edit.new.lowerBound - 1))
                }
            }
            result.append(edit)
        }
        return result
    }
}

/// The recursion of the linear-space Myers diff (the "middle snake" split, as in
/// diff-match-patch's `diff_bisect`), collecting coalesced edits in order.
private struct Differ<Element: Equatable> {
    let a: [Element]
    let b: [Element]
    var budget: Int
    var edits: [TextDiff.Edit] = []

    init(a: [Element], b: [Element], budget: Int) {
        self.a = a
        self.b = b
        self.budget = budget
    }

    mutating func diff(_ aStart: Int, _ aEnd: Int, _ bStart: Int, _ bEnd: Int) {
        var aLo = aStart, aHi = aEnd, bLo = bStart, bHi = bEnd
        while aLo < aHi && bLo < bHi && a[aLo] == b[bLo] {
            aLo += 1
            bLo += 1
        }
        while aLo < aHi && bLo < bHi && a[aHi - 1] == b[bHi - 1] {
            aHi -= 1
            bHi -= 1
        }
        if aLo == aHi && bLo == bHi { return }
        if aLo == aHi || bLo == bHi {
            append(aLo..<aHi, bLo..<bHi)
            return
        }
        // A split at either end would not shrink the problem; it cannot happen, but a
        // coarse edit is a safe answer if it ever did.
        if let (x, y) = bisect(aLo, aHi, bLo, bHi), (x, y) != (aLo, bLo), (x, y) != (aHi, bHi) {
            diff(aLo, x, bLo, y)
            diff(x, aHi, y, bHi)
        } else {
            append(aLo..<aHi, bLo..<bHi)
        }
    }

    /// Appends an edit, merging it into the previous one when the two touch (Myers' script
    /// alternates deletions and insertions; callers want replaced ranges).
    mutating func append(_ old: Range<Int>, _ new: Range<Int>) {
        if let last = edits.last, last.old.upperBound == old.lowerBound, last.new.upperBound == new.lowerBound {
            edits[edits.count - 1] = TextDiff.Edit(old: last.old.lowerBound..<old.upperBound, new: last.new.lowerBound..<new.upperBound)
        } else {
            edits.append(TextDiff.Edit(old: old, new: new))
        }
    }

    /// Where the middle snake of `a[aLo..<aHi]` against `b[bLo..<bHi]` splits them (absolute
    /// offsets), or nil when the budget runs out first. Both ranges are non-empty and differ
    /// in their first and last elements.
    mutating func bisect(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> (Int, Int)? {
        let n = aHi - aLo, m = bHi - bLo
        let maxD = (n + m + 1) / 2
        let offset = maxD + 1
        let length = 2 * maxD + 3
        // The furthest x reached on each diagonal, forwards (v1) and backwards (v2); -1 = not yet.
        var v1 = [Int](repeating: -1, count: length)
        var v2 = [Int](repeating: -1, count: length)
        v1[offset + 1] = 0
        v2[offset + 1] = 0
        let delta = n - m
        // With an odd delta the forward path meets the reverse one; with an even one, the reverse.
        let front = delta & 1 != 0
        var k1start = 0, k1end = 0, k2start = 0, k2end = 0
        for d in 0..<maxD {
            budget -= 2 * d + 2
            if budget < 0 { return nil }
            var k1 = -d + k1start
            while k1 <= d - k1end {
                let k1Offset = offset + k1
                var x1 = (k1 == -d || (k1 != d && v1[k1Offset - 1] < v1[k1Offset + 1])) ? v1[k1Offset + 1] : v1[k1Offset - 1] + 1
                var y1 = x1 - k1
                let snakeStart = x1
                while x1 < n && y1 < m && a[aLo + x1] == b[bLo + y1] {
                    x1 += 1
                    y1 += 1
                }
                budget -= x1 - snakeStart
                v1[k1Offset] = x1
                if x1 > n {
                    k1end += 2
                } else if y1 > m {
                    k1start += 2
                } else if front {
                    let k2Offset = offset + delta - k1
                    if k2Offset >= 0 && k2Offset < length && v2[k2Offset] != -1 {
                        let x2 = n - v2[k2Offset]
                        if x1 >= x2 { return (aLo + x1, bLo + y1) }
                    }
                }
                k1 += 2
            }
            var k2 = -d + k2start
            while k2 <= d - k2end {
                let k2Offset = offset + k2
                var x2 = (k2 == -d || (k2 != d && v2[k2Offset - 1] < v2[k2Offset + 1])) ? v2[k2Offset + 1] : v2[k2Offset - 1] + 1
                var y2 = x2 - k2
                let snakeStart = x2
                while x2 < n && y2 < m && a[aHi - x2 - 1] == b[bHi - y2 - 1] {
                    x2 += 1
                    y2 += 1
                }
                budget -= x2 - snakeStart
                v2[k2Offset] = x2
                if x2 > n {
                    k2end += 2
                } else if y2 > m {
                    k2start += 2
                } else if !front {
                    let k1Offset = offset + delta - k2
                    if k1Offset >= 0 && k1Offset < length && v1[k1Offset] != -1 {
                        let x1 = v1[k1Offset]
                        let y1 = offset + x1 - k1Offset
                        if x1 >= n - x2 { return (aLo + x1, bLo + y1) }
                    }
                }
                k2 += 2
            }
        }
        // No common element at all: the caller replaces the whole range.
        return nil
    }
}

/// Three-way merge of concurrent corrections of an article's text.
public enum TextMerge {
    /// Three-way merge of two texts edited concurrently from `base`.
    ///
    /// Returns the merged text when the two sides' edits do not overlap (or make the identical
    /// edit, which is kept once), nil when they conflict. Each side is diffed against `base`
    /// (``TextDiff``); two edits conflict when they touch the same word of `base` (each edit's
    /// range widened to the words it touches: a word corrected two ways must not come out as
    /// a mix of both, "kaynaklar tarafından" and "kaynaklarınca" do not make
    /// "kaynakların tarafından"), when their widened ranges overlap, when one side inserts
    /// strictly inside a range the other side replaces, or when both sides insert different
    /// text at the same point (their order would be arbitrary). Edits in different words
    /// merge, even in one sentence; an insertion goes before a replacement that starts at
    /// the same point.
    ///
    /// Pure, deterministic and symmetric: `merge(base:a, b) == merge(base:b, a)`. Texts are
    /// compared scalar by scalar (not by canonical equivalence).
    public static func merge(base: String, _ a: String, _ b: String) -> String? {
        let o = Array(base.unicodeScalars), x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x == y { return a }
        if x == o { return b }
        if y == o { return a }
        guard let merged = merge(o, x, y) else { return nil }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: merged)
        return String(view)
    }

    /// The merge on scalar arrays; see ``merge(base:_:_:)``.
    static func merge(_ base: [Unicode.Scalar], _ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        let editsA = TextDiff.edits(base, a), editsB = TextDiff.edits(base, b)
        func same(_ ea: TextDiff.Edit, _ eb: TextDiff.Edit) -> Bool {
            ea.old == eb.old && a[ea.new].elementsEqual(b[eb.new])
        }
        // Conflict check on the edits widened to whole words: each side's edits are sorted, and
        // widening keeps both bounds in order, so for every edit of A only the few edits of B
        // whose closed ranges meet it need a look.
        // An edit both sides made is applied once and conflicts with nothing: a side that made
        // it and more in the same word has only gone further.
        struct Key: Hashable {
            let old: Range<Int>
            let inserted: [Unicode.Scalar]
        }
        let sharedKeys = Set(editsA.map { Key(old: $0.old, inserted: Array(a[$0.new])) })
            .intersection(editsB.map { Key(old: $0.old, inserted: Array(b[$0.new])) })
        let ownA = editsA.filter { !sharedKeys.contains(Key(old: $0.old, inserted: Array(a[$0.new]))) }
        let ownB = editsB.filter { !sharedKeys.contains(Key(old: $0.old, inserted: Array(b[$0.new]))) }
        let wordsA = ownA.map { widenedToWords($0.old, in: base) }, wordsB = ownB.map { widenedToWords($0.old, in: base) }
        var first = 0
        for wa in wordsA {
            while first < wordsB.count && wordsB[first].upperBound < wa.lowerBound { first += 1 }
            var j = first
            while j < wordsB.count && wordsB[j].lowerBound <= wa.upperBound {
                if conflicts(wa, wordsB[j]) { return nil }
                j += 1
            }
        }
        // Apply both lists in base order; an edit B shares with A is applied once.
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(max(a.count, b.count))
        var position = 0, i = 0, j = 0
        while i < editsA.count || j < editsB.count {
            let takeA: Bool
            if i == editsA.count {
                takeA = false
            } else if j == editsB.count {
                takeA = true
            } else if same(editsA[i], editsB[j]) {
                j += 1
                continue
            } else {
                takeA = order(editsA[i].old) < order(editsB[j].old)
            }
            let edit = takeA ? editsA[i] : editsB[j]
            result.append(contentsOf: base[position..<edit.old.lowerBound])
            result.append(contentsOf: takeA ? a[edit.new] : b[edit.new])
            position = edit.old.upperBound
            if takeA { i += 1 } else { j += 1 }
        }
        result.append(contentsOf: base[position...])
        return result
    }

    /// `range` of `base` widened to the whole words it touches: those it overlaps and those
    /// it borders (an insertion right after a word changes that word). An insertion with no
    /// word on either side stays empty.
    static func widenedToWords(_ range: Range<Int>, in base: [Unicode.Scalar]) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower > 0 && isWordScalar(base[lower - 1]) { lower -= 1 }
        while upper < base.count && isWordScalar(base[upper]) { upper += 1 }
        return lower..<upper
    }

    /// Letters, digits, combining marks and the apostrophes of Turkish suffixes (Musul'un).
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "'" || scalar == "\u{2019}" { return true }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.numericType != nil { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Whether two different edits of `base`, one from each side, conflict.
    static func conflicts(_ r1: Range<Int>, _ r2: Range<Int>) -> Bool {
        switch (r1.isEmpty, r2.isEmpty) {
        case (true, true): return r1.lowerBound == r2.lowerBound
        case (true, false): return r2.lowerBound < r1.lowerBound && r1.lowerBound < r2.upperBound
        case (false, true): return r1.lowerBound < r2.lowerBound && r2.lowerBound < r1.upperBound
        case (false, false): return r1.overlaps(r2)
        }
    }

    /// The order of non-conflicting edits in the merged text: by position, an insertion before
    /// a replacement starting at the same point.
    private static func order(_ range: Range<Int>) -> (Int, Int) {
        (range.lowerBound, range.isEmpty ? 0 : 1)
    }
}
