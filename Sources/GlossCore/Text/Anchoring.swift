/// How an annotation sits on the current text of its article; see ``Anchoring``.
public enum Placement: Sendable, Hashable {
    /// Found: the selector for the current text (its `exact` is what the text holds at
    /// `start..<end`, its prefix and suffix are recomputed from the text), and how it was found.
    case placed(TextSelector, Method)
    /// Its words are gone, or cannot be told apart from other words: nothing passed the thresholds.
    case orphaned

    /// How a placed annotation was found.
    public enum Method: String, Sendable, Hashable {
        /// The stored offsets still hold the quote.
        case position
        /// An exact occurrence of the quote, chosen by its context.
        case quote
        /// An approximate occurrence: the quoted words themselves were corrected.
        case fuzzy
    }

    /// The selector on the current text, or nil when orphaned.
    public var selector: TextSelector? {
        if case .placed(let selector, _) = self { return selector }
        return nil
    }
}

/// Places annotations again on the current text of their article after it was corrected.
///
/// A placement is a pure function of the annotation's stored ``TextSelector`` and the current
/// text: replicas that saw different intermediate texts compute the same placement. Only
/// integers are compared, and every tie is broken by position.
///
/// The steps, in order (Hypothesis-style fuzzy anchoring):
/// 1. **position**: the text still holds the quote at the stored offsets.
/// 2. **quote**: an exact occurrence of the quote elsewhere, the one whose surroundings best match
///    the stored prefix and suffix, then the one nearest the stored start.
/// 3. **fuzzy**: an approximate occurrence (a typo fixed, Turkish letters restored, a word added),
///    searched near where the stored context, the quote's own pieces or the stored start lead.
/// 4. Otherwise **orphaned**.
///
/// Context is compared after ``TextFolding`` (so `ı`→`i` fixes do not count against it) by an
/// edit distance with transpositions: a side's *score* is how many of its (at most 32) stored
/// scalars match, `length − distance`. A side **agrees** when it holds at least 8 scalars, 3/4
/// of them match, and the scalars next to the span match: its first 4 exactly, or its first 8
/// within one edit (a typo fixed in the neighbouring word); a context that only fits after a
/// longer shift belongs to a neighbouring spot. It agrees **throughout** when, besides, its far
/// end (its last 8 scalars) is found again, within one edit, at most 3 scalars either way from
/// where it was; or when it reaches the edge of the text exactly as it did (a quote 5 scalars
/// from the start keeps the same 5 before it). A side that agrees only near the span may owe it
/// to a phrase that recurs (`zorunlu olmadıkça yola ` before the quote, other words beyond), so
/// the **support** of a span is *enough* when a side agrees throughout or both sides agree. The
/// rules, chosen so that an annotation is orphaned rather than moved onto other words:
/// - The position and quote steps take an exact occurrence when its support is enough, or the
///   quote is self-evident (64 scalars or more: a shorter phrase, such as an institution's name,
///   may well recur), or the selector stores too little context to judge (under 16 scalars in
///   all). So a quote whose sentence was deleted does not jump to the same words elsewhere when
///   the context does not match there beyond a recurring phrase. They skip an occurrence that
///   starts or ends inside a word where the stored span started or ended at a word's edge (on a
///   side whose context was stored): `otobü` is not the start of `otobüs`, the fuzzy step finds
///   the word.
/// - Among several occurrences the best (by context score, then nearness to the stored start)
///   must beat the runner-up: a strictly higher score, or an equal one and strictly nearer the
///   stored start. And context that fits another occurrence as well does not tell them apart:
///   unless both sides agree at the best, every other scored occurrence must score strictly lower
///   on a side that agrees at the best (a suffix made of a phrase that recurs fits every copy of
///   it equally). Otherwise it is orphaned; so is a rival-less best that nothing supports.
/// - A fuzzy match (the quote's folded edit distance to the span) is taken when the distance is
///   at most a quarter of the quote (at least 1; 0 below 4 scalars) and the support is enough, or
///   at most half of it (quotes of 8 scalars or more: a word added) and both sides agree, or the
///   quote is self-evident and at most one of its scalars in 16 differs (a moved sentence with a
///   typo fixed: no context needed). Its edges snap to where the stored context begins and to
///   word boundaries like the stored ones. Like the quote step, it must beat any non-overlapping
///   rival (a lower misfit, or an equal one and nearer the stored start), and, unless both sides
///   agree or the quote stood on its own, each such rival must have a larger distance or score
///   strictly lower on a side that agrees at the best.
///
/// Build one per text, then place many selectors with it. Building sorts every offset by the
/// (folded) scalars that start there, by a linear radix sort; placing costs about the quote and
/// its context, a few windows of the text for the fuzzy step, and is never a scan of the text.
/// 1,000 annotations on a 100,000-scalar text take a few tens of milliseconds in a release build.
public struct Anchoring: Sendable {
    /// The text annotations are placed on.
    public let text: ScalarText

    /// Each scalar folded (``TextFolding``), as its value.
    private let folded: [UInt32]
    /// Whether each scalar is a word scalar (``isWord(_:)``), for snapping spans to word edges.
    private let wordScalars: [Bool]
    /// The dense code (1, 2, … in order of first appearance) of each scalar below U+0800 that the
    /// text holds, 0 for the others: a cache of the folding of the text's scalars.
    private let smallCodes: [UInt32]
    /// The codes of the text's scalars from U+0800 up.
    private let largeCodes: [UInt32: UInt32]
    /// The folded value of each code's scalar (index 0 unused).
    private let foldedByCode: [UInt32]
    /// The dense gram code (1, 2, …) of each folded value below U+0800 that the text holds, 0 for
    /// the others. Grams are of folded scalars, so the fuzzy step finds context and pieces of the
    /// quote whose letters were fixed; exact occurrences are checked scalar by scalar.
    private let smallGramCodes: [UInt32]
    /// The gram codes of the folded values from U+0800 up.
    private let largeGramCodes: [UInt32: UInt32]
    /// Bits per gram code in a gram key.
    private let bits: Int
    /// Scalars per gram: as many codes as fit in 64 bits, at most 8.
    private let gram: Int
    /// The gram key of every offset (its next `gram` gram codes, first in the high bits, 0 past
    /// the end), sorted; all offsets where a folded pattern of up to `gram` scalars starts are one run.
    private let keys: [UInt64]
    /// The offsets in the order of `keys` (equal keys by offset).
    private let offsets: [Int]

    /// How many scalars a quote needs to stand on its own, whatever its context (two context
    /// lengths: a shorter phrase, such as an institution's name, may well recur elsewhere).
    static let selfEvidentLength = 64
    /// A self-evident quote found approximately stands on its own when at most one in this many
    /// of its scalars differ.
    static let selfEvidentRate = 16
    /// A quote longer than twice this is searched approximately by its first and last this many.
    static let fuzzyPiece = 32
    /// Below this many stored context scalars (both sides together) context is not required.
    static let minimumEvidence = 16
    /// The shortest side that can agree by its scalars (rather than by reaching the text's edge).
    static let minimumSide = 8
    /// How many scalars next to the span a side must match exactly to agree: a side that only
    /// matches after a shift is the context of a neighbouring spot, not of this one.
    static let minimumExact = 4
    /// How many occurrences of a quote have their context scored in full (after a cheap ranking).
    static let scoredOccurrences = 16
    /// At most this many places are searched by the fuzzy step.
    static let fuzzyAnchors = 16

    /// Indexes `text` for placing selectors.
    public init(text: ScalarText) {
        self.text = text
        let scalars = text.scalars
        let n = scalars.count
        var small = [UInt32](repeating: 0, count: 0x800)
        var large: [UInt32: UInt32] = [:]
        var foldedByCode: [UInt32] = [0]
        var wordByCode: [Bool] = [false]
        var codes = [UInt32](repeating: 0, count: n)
        for index in 0..<n {
            let scalar = scalars[index]
            let value = scalar.value
            var code = value < 0x800 ? small[Int(value)] : large[value, default: 0]
            if code == 0 {
                code = UInt32(foldedByCode.count)
                foldedByCode.append(TextFolding.fold(scalar).value)
                wordByCode.append(Self.isWord(scalar))
                if value < 0x800 { small[Int(value)] = code } else { large[value] = code }
            }
            codes[index] = code
        }
        // Gram codes, given to folded values in the order their scalars' codes first appeared.
        var smallGram = [UInt32](repeating: 0, count: 0x800)
        var largeGram: [UInt32: UInt32] = [:]
        var gramCodeByCode = [UInt32](repeating: 0, count: foldedByCode.count)
        var distinct: UInt32 = 0
        for code in 1..<max(1, foldedByCode.count) {
            let value = foldedByCode[code]
            var gramCode = value < 0x800 ? smallGram[Int(value)] : largeGram[value, default: 0]
            if gramCode == 0 {
                distinct += 1
                gramCode = distinct
                if value < 0x800 { smallGram[Int(value)] = gramCode } else { largeGram[value] = gramCode }
            }
            gramCodeByCode[code] = gramCode
        }
        let bits = max(1, UInt32.bitWidth - distinct.leadingZeroBitCount)
        let gram = min(8, 64 / bits)
        self.smallCodes = small
        self.largeCodes = large
        self.foldedByCode = foldedByCode
        self.smallGramCodes = smallGram
        self.largeGramCodes = largeGram
        self.bits = bits
        self.gram = gram
        self.folded = codes.map { foldedByCode[Int($0)] }
        self.wordScalars = codes.map { wordByCode[Int($0)] }

        // Gram keys, rolled: shift in the next code, keep gram * bits bits, then left-align.
        let used = gram * bits
        let mask: UInt64 = used == 64 ? .max : (1 << UInt64(used)) - 1
        let align = UInt64(64 - used)
        var keys = [UInt64](repeating: 0, count: n)
        var raw: UInt64 = 0
        for index in 0..<(n + gram - 1) {
            let code = index < n ? UInt64(gramCodeByCode[Int(codes[index])]) : 0
            raw = ((raw << UInt64(bits)) | code) & mask
            let start = index - gram + 1
            if start >= 0 { keys[start] = raw << align }
        }
        var offsets = Array(0..<n)
        Self.radixSort(&keys, &offsets, lowestByte: (64 - used) / 8)
        self.keys = keys
        self.offsets = offsets
    }

    /// Indexes `text` for placing selectors.
    public init(_ text: String) {
        self.init(text: ScalarText(text))
    }

    /// Places one selector on `text`; see ``Anchoring`` for the steps and rules.
    public static func place(_ selector: TextSelector, in text: ScalarText) -> Placement {
        Anchoring(text: text).place(selector)
    }

    /// Where `selector` sits on the text, or `.orphaned`; see ``Anchoring`` for the rules.
    public func place(_ selector: TextSelector) -> Placement {
        let n = text.count
        let quote = Array(selector.exact.unicodeScalars)
        // An empty quote points at nothing. (A quote longer than the text goes on: the fuzzy
        // step may still find a shortened version of it.)
        guard !quote.isEmpty, n > 0 else { return .orphaned }
        let query = Query(selector, quote, self)
        // 1. Position: the stored offsets still hold the quote.
        let start = selector.start
        if start >= 0, start <= n - quote.count, selector.end == start + quote.count,
            text.scalars[start..<(start + quote.count)].elementsEqual(quote), !cutsWord(query, start, start + quote.count),
            accepts(query, start, start + quote.count)
        {
            return placed(start, start + quote.count, .position)
        }
        // 2. Quote: an exact occurrence, chosen by context.
        switch quoteStep(query) {
        case .found(let found):
            // The stored offsets, chosen among the occurrences: still the position.
            return placed(found, found + quote.count, found == start && selector.end == start + quote.count ? .position : .quote)
        case .ambiguous: return .orphaned
        case .none: break
        }
        // 3. Fuzzy.
        return fuzzy(query)
    }

    // MARK: - Steps

    private enum QuoteResult {
        case found(Int)
        /// Several occurrences that context cannot tell apart.
        case ambiguous
        /// No occurrence, or none that context supports.
        case none
    }

    private func quoteStep(_ query: Query) -> QuoteResult {
        let m = query.quote.count
        let found = occurrences(query.quote).filter { !cutsWord(query, $0, $0 + m) }
        if found.isEmpty { return .none }
        if found.count == 1 {
            return accepts(query, found[0], found[0] + m) ? .found(found[0]) : .none
        }
        // Rank cheaply by exactly matching context, keep the best few, then score those in full.
        // A side scores its full length only when it matches exactly, so an occurrence whose
        // exact matches bound it below the best so far is strictly worse and is not scored.
        let lengths = (query.before.count, query.after.count)
        var cheap: [(Int, Int, Int, Int)] = []  // the best few so far, in order
        for start in found {
            let before = matchBefore(query.before, start), after = matchAfter(query.after, start + m)
            let bound = (before == lengths.0 ? before : lengths.0 - 1) + (after == lengths.1 ? after : lengths.1 - 1)
            let key = (-(before + after), abs(start - query.oldStart), start, bound)
            if cheap.count == Self.scoredOccurrences, let last = cheap.last, !(key < last) { continue }
            let index = cheap.firstIndex { key < $0 } ?? cheap.count
            cheap.insert(key, at: index)
            if cheap.count > Self.scoredOccurrences { cheap.removeLast() }
        }
        var scored: [(rank: (Int, Int, Int), support: Support)] = []
        for (_, distance, start, bound) in cheap {
            if let best = scored.first, bound < best.support.total { continue }
            let support = support(query, start, start + m)
            scored.append((rank: (-support.total, distance, start), support: support))
            scored.sort { $0.rank < $1.rank }
        }
        let best = scored[0]
        guard query.quote.count >= Self.selfEvidentLength || query.evidence < Self.minimumEvidence || best.support.either
        else { return .none }
        // Occurrences left unscored are strictly worse than the best (or their exact context
        // ranked them below the first 16).
        guard scored.count > 1 else { return .found(best.rank.2) }
        let runnerUp = scored[1]
        let better = best.support.total > runnerUp.support.total || best.rank.1 < runnerUp.rank.1
        guard better else { return .ambiguous }
        // Context that fits the others as well as the best (a phrase that recurs) does not tell
        // them apart: unless both sides agree, a side that agrees must fit the best better.
        if query.quote.count < Self.selfEvidentLength && query.evidence >= Self.minimumEvidence && !best.support.both,
            scored.dropFirst().contains(where: { !best.support.distinguishes(from: $0.support) })
        {
            return .ambiguous
        }
        return .found(best.rank.2)
    }

    private struct Candidate {
        var start: Int
        var end: Int
        /// How badly the stored prefix, quote and suffix fit there (the quote's distance plus each
        /// side's unmatched scalars, plus 1 per edge that is a different word boundary); lower is better.
        var misfit: Int
        /// How far it starts from the stored start.
        var shift: Int
        /// The quote's distance to the span, and the context's support there.
        var distance: Int
        var support: Support
        /// Taken for the quote alone (a self-evident quote, barely changed).
        var evident: Bool

        var rank: (Int, Int, Int, Int) { (misfit, shift, start, end) }
    }

    private func fuzzy(_ query: Query) -> Placement {
        let m = query.quote.count
        let strict = m >= 4 ? max(1, m / 4) : 0
        let loose = m >= 8 ? m / 2 : strict
        var candidates: [Candidate] = []
        var seen: [(Int, Int)] = []
        for anchor in anchors(query) {
            for (start, end, distance) in approximateMatches(query, around: anchor, loose: loose) {
                if seen.contains(where: { $0 == (start, end) }) { continue }
                seen.append((start, end))
                let support = support(query, start, end)
                let evident = m >= Self.selfEvidentLength && distance <= m / Self.selfEvidentRate
                guard evident || (distance <= strict && support.either) || (distance <= loose && support.both) else { continue }
                let edges = (boundary(at: start) == query.startBoundary ? 0 : 1) + (boundary(at: end) == query.endBoundary ? 0 : 1)
                let misfit = distance + query.evidence - support.total + edges
                candidates.append(
                    Candidate(
                        start: start, end: end, misfit: misfit, shift: abs(start - query.oldStart), distance: distance, support: support,
                        evident: evident))
            }
        }
        candidates.sort { $0.rank < $1.rank }
        guard let best = candidates.first else { return .orphaned }
        // A rival somewhere else (not overlapping the best) that context cannot rank below it.
        let rivals = candidates.filter { $0.end <= best.start || $0.start >= best.end }
        if let rival = rivals.first, !(best.misfit < rival.misfit || best.shift < rival.shift) { return .orphaned }
        // As in the quote step: what fits a rival as well does not tell them apart.
        if !best.support.both && !best.evident,
            rivals.contains(where: { !(best.distance < $0.distance || best.support.distinguishes(from: $0.support)) })
        {
            return .orphaned
        }
        return placed(best.start, best.end, .fuzzy)
    }

    /// Where the fuzzy step looks (expected starts of the quote): where the stored prefix, the
    /// stored suffix or the quote itself is found again over 16 scalars or more (looked up by a
    /// few of their grams, extended both ways), then the stored start; near ones merged.
    private func anchors(_ query: Query) -> [Int] {
        var result: [Int] = []
        func add(_ start: Int) {
            guard result.count < Self.fuzzyAnchors, !result.contains(where: { abs($0 - start) <= 8 }) else { return }
            result.append(start)
        }
        let m = query.quote.count
        let prefix = query.prefixScalars, suffix = query.suffixScalars
        for shift in [0, 8, 16] where prefix.count >= shift + gram {
            for start in pieceStarts(prefix, query.prefixFolded, gramAt: prefix.count - shift - gram, near: query.oldStart) {
                add(start + prefix.count)
            }
        }
        for shift in [0, 8, 16] where suffix.count >= shift + gram {
            for start in pieceStarts(suffix, query.after, gramAt: shift, near: query.oldStart + m) { add(start - m) }
        }
        if m >= gram {
            for shift in Set([0, (m - gram) / 2, m - gram]).sorted() {
                for start in pieceStarts(query.quote, query.quoteFolded, gramAt: shift, near: query.oldStart) { add(start) }
            }
        }
        add(query.oldStart)
        return result
    }

    /// Where `piece` (a stored stretch; `folded` is it folded) is found again: the gram at
    /// `gramAt` is looked up (when it occurs at most 256 times) and each hit is extended both
    /// ways over the folded text. Returns the piece's start offset for the best three hits that
    /// match at least 16 scalars (or the whole piece), best first, then nearest `near`.
    private func pieceStarts(_ piece: [Unicode.Scalar], _ foldedPiece: [UInt32], gramAt first: Int, near: Int) -> [Int] {
        guard let run = run(of: piece[first..<(first + gram)]), run.count <= 256 else { return [] }
        let n = text.count
        var hits: [(Int, Int, Int)] = []
        for hit in offsets[run] {
            var back = 0
            while back < first && hit - back > 0 && folded[hit - back - 1] == foldedPiece[first - back - 1] { back += 1 }
            var ahead = first + gram
            while ahead < piece.count && hit - first + ahead < n && folded[hit - first + ahead] == foldedPiece[ahead] { ahead += 1 }
            let extent = back + ahead - first
            let start = hit - first
            if extent >= min(16, piece.count) { hits.append((-extent, abs(start - near), start)) }
        }
        hits.sort { $0 < $1 }
        return hits.prefix(3).map { $0.2 }
    }

    /// Approximate occurrences of the quote near `anchor` (an expected start): `(start, end,
    /// distance)`, the distance between the folded quote and the folded span.
    private func approximateMatches(_ query: Query, around anchor: Int, loose: Int) -> [(Int, Int, Int)] {
        let n = text.count
        let pattern = query.quoteFolded
        let m = pattern.count
        let slack = 24 + m / 2
        if m <= 2 * Self.fuzzyPiece {
            // Sellers' approximate substring matching over the window gives the best ends; each
            // end's start comes from an anchored match of the reversed quote.
            let lower = max(0, anchor - slack), upper = min(n, anchor + m + slack)
            guard lower < upper else { return [] }
            let costs = Self.alignmentCosts(pattern, Array(folded[lower..<upper]), freeStart: true)
            var ends: [(Int, Int, Int, Int)] = []
            for j in 1..<costs.count where costs[j] <= loose {
                let end = lower + j
                ends.append((costs[j] + edgePenalty(query, end, atStart: false), costs[j], abs(end - anchor - m), end))
            }
            ends.sort { $0 < $1 }
            let reversedPattern = Array(pattern.reversed())
            return ends.prefix(3).compactMap { _, _, _, end in
                let longest = min(end, m + loose)
                let before = Array(folded[(end - longest)..<end].reversed())
                let costs = Self.alignmentCosts(reversedPattern, before, freeStart: false)
                var best: (Int, Int, Int, Int)? = nil
                for length in 1..<costs.count {
                    let start = end - length
                    let key = (costs[length] + edgePenalty(query, start, atStart: true), costs[length], abs(length - m), length)
                    if best.map({ key < $0 }) ?? true { best = key }
                }
                guard let best else { return nil }
                return (end - best.3, end, best.1)
            }
        }
        // A long quote: its start is where its first 32 scalars or the end of the stored prefix are
        // found, its end where its last 32 or the start of the stored suffix are; each pair of
        // those is measured by a diff.
        let piece = Self.fuzzyPiece
        var starts: [Int] = [], ends: [Int] = []
        func add(_ position: Int?, to list: inout [Int]) {
            if let position, !list.contains(position) { list.append(position) }
        }
        add(boundary(Array(pattern[0..<piece]), in: (anchor - slack)..<(anchor + piece + slack), backwards: true, maxCost: piece / 2,
            near: anchor, penalty: query), to: &starts)
        add(boundary(Array(pattern[(m - piece)...]), in: (anchor + m - piece - slack)..<(anchor + m + slack), backwards: false,
            maxCost: piece / 2, near: anchor + m, penalty: query), to: &ends)
        let context = Self.fuzzyPiece / 2
        if query.prefixFolded.count >= context {
            add(boundary(Array(query.prefixFolded.suffix(context)), in: (anchor - slack - context)..<(anchor + slack), backwards: false,
                maxCost: 2, near: anchor, penalty: nil), to: &starts)
        }
        if query.after.count >= context {
            add(boundary(Array(query.after.prefix(context)), in: (anchor + m - slack)..<(anchor + m + slack + context), backwards: true,
                maxCost: 2, near: anchor + m, penalty: nil), to: &ends)
        }
        var result: [(Int, Int, Int)] = []
        for start in starts {
            for end in ends where start < end && abs(end - start - m) <= loose {
                // The diff's replaced ranges, each counted as its longer side: an upper bound of the
                // edit distance, cheap when the two differ little (and given up when they differ a lot).
                let span = Array(folded[start..<end])
                let edits = TextDiff.edits(pattern, span, budget: 16 * (m + span.count) + 10_000)
                result.append((start, end, edits.reduce(0) { $0 + max($1.old.count, $1.new.count) }))
            }
        }
        return result
    }

    /// Where `pattern` best matches within `window` (clamped to the text) at most `maxCost` away:
    /// the offset where it ends, or where it starts when `backwards`. Ties go to the lowest cost
    /// plus ``edgePenalty(_:_:atStart:)`` for `penalty`'s query (a start when `backwards`), then
    /// nearest `near`, then the lowest offset.
    private func boundary(
        _ pattern: [UInt32], in window: Range<Int>, backwards: Bool, maxCost: Int, near: Int, penalty query: Query?
    ) -> Int? {
        let lower = max(0, window.lowerBound), upper = min(text.count, window.upperBound)
        guard lower < upper else { return nil }
        let stretch = backwards ? Array(folded[lower..<upper].reversed()) : Array(folded[lower..<upper])
        let costs = Self.alignmentCosts(backwards ? pattern.reversed() : pattern, stretch, freeStart: true)
        var best: (Int, Int, Int, Int)? = nil
        for j in 1..<costs.count where costs[j] <= maxCost {
            let offset = backwards ? upper - j : lower + j
            let extra = query.map { edgePenalty($0, offset, atStart: backwards) } ?? 0
            let key = (costs[j] + extra, costs[j], abs(offset - near), offset)
            if best.map({ key < $0 }) ?? true { best = key }
        }
        return best?.3
    }

    // MARK: - Context

    /// What a selector brings, prepared once.
    private struct Query {
        let quote: [Unicode.Scalar]
        let quoteFolded: [UInt32]
        /// The stored prefix's last (at most) 32 scalars, and the suffix's first.
        let prefixScalars: [Unicode.Scalar]
        let suffixScalars: [Unicode.Scalar]
        /// The same, folded, nearest scalar first.
        let before: [UInt32]
        let after: [UInt32]
        /// The folded prefix in text order.
        let prefixFolded: [UInt32]
        /// The stored start, clamped to the text.
        let oldStart: Int
        /// The kind of word boundary the stored span started and ended at.
        let startBoundary: Boundary
        let endBoundary: Boundary

        init(_ selector: TextSelector, _ quote: [Unicode.Scalar], _ anchoring: Anchoring) {
            let prefix = Array(selector.prefix.unicodeScalars), suffix = Array(selector.suffix.unicodeScalars)
            self.quote = quote
            quoteFolded = quote.map(anchoring.foldedValue)
            prefixScalars = Array(prefix.suffix(TextSelector.contextLength))
            suffixScalars = Array(suffix.prefix(TextSelector.contextLength))
            prefixFolded = prefixScalars.map(anchoring.foldedValue)
            before = prefixFolded.reversed()
            after = suffixScalars.map(anchoring.foldedValue)
            oldStart = max(0, min(selector.start, anchoring.text.count))
            startBoundary = Boundary(left: prefix.last.map(Anchoring.isWord) ?? false, right: quote.first.map(Anchoring.isWord) ?? false)
            endBoundary = Boundary(left: quote.last.map(Anchoring.isWord) ?? false, right: suffix.first.map(Anchoring.isWord) ?? false)
        }

        /// How many context scalars the selector stores.
        var evidence: Int { before.count + after.count }
    }

    /// How well the stored context matches the text around a span.
    private struct Support {
        var before: Int
        var after: Int
        var beforeAgreement: Agreement
        var afterAgreement: Agreement

        var total: Int { before + after }
        /// Enough for an exact occurrence or a small correction: a side agrees throughout, or both agree.
        var either: Bool {
            beforeAgreement == .throughout || afterAgreement == .throughout || both
        }
        var both: Bool { beforeAgreement != .none && afterAgreement != .none }

        /// Whether a side that agrees here fits better than it does at `other`.
        func distinguishes(from other: Support) -> Bool {
            (beforeAgreement != .none && before > other.before) || (afterAgreement != .none && after > other.after)
        }
    }

    /// How a stored side agrees with the text.
    private enum Agreement: Equatable {
        case none
        /// Enough of it matches, but maybe only a run next to the span (a phrase that recurs).
        case near
        /// Its far end matches as well (or it reaches the text's edge as it did).
        case throughout
    }

    private func support(_ query: Query, _ start: Int, _ end: Int) -> Support {
        let before = sideScore(query.before, at: start, backwards: true)
        let after = sideScore(query.after, at: end, backwards: false)
        return Support(
            before: before.score, after: after.score,
            beforeAgreement: Self.agreement(query.before.count, before, available: start),
            afterAgreement: Self.agreement(query.after.count, after, available: text.count - end))
    }

    /// Whether an exact occurrence at `start..<end` may be taken (rules in ``Anchoring``).
    private func accepts(_ query: Query, _ start: Int, _ end: Int) -> Bool {
        if query.quote.count >= Self.selfEvidentLength || query.evidence < Self.minimumEvidence { return true }
        let n = text.count
        let before = Self.agreement(query.before.count, sideScore(query.before, at: start, backwards: true), available: start)
        if before == .throughout { return true }
        let after = Self.agreement(query.after.count, sideScore(query.after, at: end, backwards: false), available: n - end)
        return after == .throughout || (before != .none && after != .none)
    }

    /// How a side of `length` stored scalars agrees with the text; `available` is how many
    /// scalars the text has on that side.
    private static func agreement(_ length: Int, _ side: SideScore, available: Int) -> Agreement {
        if length > 0 && available == length && side.exact == length { return .throughout }
        guard length >= minimumSide && 4 * side.score >= 3 * length && side.edge else { return .none }
        return side.farDistance <= 1 ? .throughout : .near
    }

    /// How a stored side matches the text: `score` scalars by edit distance, the first `exact`
    /// exactly; `farDistance`, the edit distance of its far end (its last 8 scalars) to the text
    /// about where it was; `edge`, whether the scalars next to the span match (the first 4
    /// exactly, or the first 8 within one edit).
    private struct SideScore {
        var score: Int
        var exact: Int
        var farDistance: Int = 0
        var edge: Bool = true
    }

    /// How many scalars of a stored side (nearest first) match the text going outward from
    /// `position`: its length minus its edit distance to the best-matching stretch there; how
    /// many match exactly, from the boundary; how far its far end is from the text about where
    /// it was; and whether the scalars next to the boundary match.
    private func sideScore(_ side: [UInt32], at position: Int, backwards: Bool) -> SideScore {
        let length = side.count
        let exact = backwards ? matchBefore(side, position) : matchAfter(side, position)
        if exact == length { return SideScore(score: length, exact: exact) }
        let available = backwards ? position : text.count - position
        let width = min(available, length + length / 4 + 2)
        let stretch = backwards ? Array(folded[(position - width)..<position].reversed()) : Array(folded[position..<(position + width)])
        let costs = Self.alignmentCosts(side, stretch, freeStart: false)
        // The far end (its last 8 scalars), looked for from 3 scalars nearer than where it was to 3 farther.
        let farStart = max(0, length - Self.minimumSide)
        let far = Array(side[farStart...])
        let slack = 3
        let farLower = max(0, farStart - slack), farUpper = min(available, length + slack)
        var farDistance = far.count
        if farLower < farUpper {
            let window =
                backwards
                ? Array(folded[(position - farUpper)..<(position - farLower)].reversed())
                : Array(folded[(position + farLower)..<(position + farUpper)])
            farDistance = Self.alignmentCosts(far, window, freeStart: true).min() ?? far.count
        }
        // The scalars next to the boundary: the first 4 exactly, or the first 8 within one edit.
        let near = Array(side.prefix(Self.minimumSide)), nearStretch = Array(stretch.prefix(Self.minimumSide + 2))
        let edge = exact >= Self.minimumExact || (Self.alignmentCosts(near, nearStretch, freeStart: false).min() ?? length) <= 1
        return SideScore(score: max(exact, length - (costs.min() ?? length)), exact: exact, farDistance: farDistance, edge: edge)
    }

    /// What choosing `position` as the span's start (or end) costs beyond the quote's own
    /// distance: how many of the first 8 scalars of the stored context on that side fail to match
    /// there, plus 1 when the position is not the same kind of word boundary the stored one was.
    /// So a span reaches the words its context precedes or follows, and ends where words end,
    /// rather than at the cheapest partial word.
    private func edgePenalty(_ query: Query, _ position: Int, atStart: Bool) -> Int {
        let side = atStart ? query.before : query.after
        let length = min(8, side.count)
        var count = 0
        if atStart {
            while count < length && count < position && folded[position - 1 - count] == side[count] { count += 1 }
        } else {
            while count < length && position + count < text.count && folded[position + count] == side[count] { count += 1 }
        }
        return length - count + (boundary(at: position) == (atStart ? query.startBoundary : query.endBoundary) ? 0 : 1)
    }

    /// Whether the span `start..<end` begins or ends inside a word where the stored span began or
    /// ended at a word's edge (judged only on a side whose context was stored): the words there
    /// changed (a letter added to the quote's last word), so the span must be found approximately.
    private func cutsWord(_ query: Query, _ start: Int, _ end: Int) -> Bool {
        let startCut = boundary(at: start), endCut = boundary(at: end)
        return (!query.before.isEmpty && startCut.left && startCut.right && !(query.startBoundary.left && query.startBoundary.right))
            || (!query.after.isEmpty && endCut.left && endCut.right && !(query.endBoundary.left && query.endBoundary.right))
    }

    /// Whether the scalars either side of `position` are word scalars (false past the edges).
    private func boundary(at position: Int) -> Boundary {
        let n = text.count
        return Boundary(
            left: position > 0 && position <= n && wordScalars[position - 1],
            right: position >= 0 && position < n && wordScalars[position])
    }

    /// The word-ness of the scalars either side of a span's edge.
    private struct Boundary: Equatable {
        var left: Bool
        var right: Bool
    }

    /// Letters, digits and combining marks: what a word is made of.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber: return true
        default: return properties.isAlphabetic
        }
    }

    /// How many scalars of `side` (nearest first) equal the folded text just before `position`.
    private func matchBefore(_ side: [UInt32], _ position: Int) -> Int {
        var count = 0
        let limit = min(side.count, position)
        while count < limit && folded[position - 1 - count] == side[count] { count += 1 }
        return count
    }

    /// How many scalars of `side` equal the folded text from `position` on.
    private func matchAfter(_ side: [UInt32], _ position: Int) -> Int {
        var count = 0
        let limit = min(side.count, text.count - position)
        while count < limit && folded[position + count] == side[count] { count += 1 }
        return count
    }

    // MARK: - Index

    /// Every offset where `quote` occurs exactly (in offset order only when it is a gram long or
    /// longer: a shorter pattern's run spans several keys).
    private func occurrences(_ quote: [Unicode.Scalar]) -> [Int] {
        let n = text.count, m = quote.count
        guard m > 0, m <= n else { return [] }
        // Look up the rarest of a few of the quote's grams (or the whole quote, when shorter than
        // a gram), then check each hit scalar by scalar.
        let last = max(0, m - gram)
        let shifts = last < 8 ? Array(0...last) : (0..<8).map { last * $0 / 7 }
        var best: (run: Range<Int>, shift: Int)? = nil
        for shift in shifts {
            guard let run = run(of: quote[shift..<min(m, shift + gram)]) else { return [] }
            if best.map({ run.count < $0.run.count }) ?? true { best = (run, shift) }
        }
        guard let best else { return [] }
        var result: [Int] = []
        for offset in offsets[best.run] {
            let start = offset - best.shift
            if start >= 0, start + m <= n, text.scalars[start..<(start + m)].elementsEqual(quote) { result.append(start) }
        }
        return result
    }

    /// The run of `keys` (and `offsets`) whose offsets start with `scalars` folded (at most one
    /// gram), or nil when the text lacks one of the folded scalars.
    private func run(of scalars: ArraySlice<Unicode.Scalar>) -> Range<Int>? {
        var key: UInt64 = 0
        for scalar in scalars {
            let value = foldedValue(scalar)
            let code = value < 0x800 ? smallGramCodes[Int(value)] : largeGramCodes[value, default: 0]
            if code == 0 { return nil }
            key = key << UInt64(bits) | UInt64(code)
        }
        let used = scalars.count * bits
        let low = key << UInt64(64 - used)
        let high = low | (used >= 64 ? 0 : UInt64.max >> UInt64(used))
        let lower = Self.firstIndex(in: keys) { $0 >= low }
        let upper = Self.firstIndex(in: keys) { $0 > high }
        return lower..<upper
    }

    private func code(of scalar: Unicode.Scalar) -> UInt32 {
        scalar.value < 0x800 ? smallCodes[Int(scalar.value)] : largeCodes[scalar.value, default: 0]
    }

    private func foldedValue(_ scalar: Unicode.Scalar) -> UInt32 {
        let code = code(of: scalar)
        return code == 0 ? TextFolding.fold(scalar).value : foldedByCode[Int(code)]
    }

    private func placed(_ start: Int, _ end: Int, _ method: Placement.Method) -> Placement {
        let selector = TextSelector(
            exact: text.slice(start, end), prefix: text.slice(start - TextSelector.contextLength, start),
            suffix: text.slice(end, end + TextSelector.contextLength), start: start, end: end)
        return .placed(selector, method)
    }

    // MARK: - Algorithms

    /// The first index of the sorted `keys` for which `isAbove` holds (it must be monotone).
    private static func firstIndex(in keys: [UInt64], where isAbove: (UInt64) -> Bool) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if isAbove(keys[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Sorts `keys` with `values` alongside, stably (LSD radix sort by bytes), looking only at
    /// bytes from `lowestByte` up (the ones below are zero).
    private static func radixSort(_ keys: inout [UInt64], _ values: inout [Int], lowestByte: Int) {
        let n = keys.count
        guard n > 1 else { return }
        var keysOut = [UInt64](repeating: 0, count: n)
        var valuesOut = [Int](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 257)
        for byte in lowestByte..<8 {
            let shift = UInt64(byte * 8)
            for index in 0..<257 { counts[index] = 0 }
            for key in keys { counts[Int((key >> shift) & 0xFF) + 1] += 1 }
            if counts[Int((keys[0] >> shift) & 0xFF) + 1] == n { continue }  // one bucket: nothing moves
            for index in 1..<257 { counts[index] += counts[index - 1] }
            for index in 0..<n {
                let bucket = Int((keys[index] >> shift) & 0xFF)
                let target = counts[bucket]
                counts[bucket] = target + 1
                keysOut[target] = keys[index]
                valuesOut[target] = values[index]
            }
            swap(&keys, &keysOut)
            swap(&values, &valuesOut)
        }
    }

    /// Edit distances (substitutions, insertions, deletions and swaps of two neighbours: the
    /// optimal string alignment distance) between `pattern` and the stretches of `text` ending at
    /// each j in 0…text.count: any stretch when `freeStart` (Sellers' approximate substring
    /// matching), else `text[0..<j]`.
    static func alignmentCosts(_ pattern: [UInt32], _ text: [UInt32], freeStart: Bool) -> [Int] {
        let m = pattern.count, width = text.count
        var result = [Int](repeating: m, count: width + 1)
        guard m > 0 else { return [Int](repeating: 0, count: width + 1) }
        guard width > 0 else { return result }
        // Three columns (j-2, j-1, j) in one buffer, rotated by offset.
        var columns = [Int](repeating: 0, count: 3 * (m + 1))
        for i in 0...m { columns[m + 1 + i] = i }
        result.withUnsafeMutableBufferPointer { out in
            columns.withUnsafeMutableBufferPointer { buffer in
                pattern.withUnsafeBufferPointer { p in
                    text.withUnsafeBufferPointer { t in
                        var older = 0, previous = m + 1, current = 2 * (m + 1)
                        for j in 1...width {
                            let scalar = t[j - 1], before: UInt32 = j > 1 ? t[j - 2] : .max
                            buffer[current] = freeStart ? 0 : j
                            for i in 1...m {
                                var value = buffer[previous + i - 1] + (p[i - 1] == scalar ? 0 : 1)
                                value = min(value, buffer[previous + i] + 1, buffer[current + i - 1] + 1)
                                if i > 1, j > 1, p[i - 1] == before, p[i - 2] == scalar { value = min(value, buffer[older + i - 2] + 1) }
                                buffer[current + i] = value
                            }
                            out[j] = buffer[current + m]
                            (older, previous, current) = (previous, current, older)
                        }
                    }
                }
            }
        }
        return result
    }
}
