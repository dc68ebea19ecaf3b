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
    let folded: [UInt32]
    /// Whether each scalar is a word scalar (``isWord(_:)``), for snapping spans to word edges.
    let wordScalars: [Bool]
    /// The dense code (1, 2, … in order of first appearance) of each scalar below U+0800 that the
    /// text holds, 0 for the others: a cache of the folding of the text's scalars.
    let smallCodes: [UInt32]
    /// The codes of the text's scalars from U+0800 up.
    let largeCodes: [UInt32: UInt32]
    /// The folded value of each code's scalar (index 0 unused).
    let foldedByCode: [UInt32]
    /// The dense gram code (1, 2, …) of each folded value below U+0800 that the text holds, 0 for
    /// the others. Grams are of folded scalars, so the fuzzy step finds context and pieces of the
    /// quote whose letters were fixed; exact occurrences are checked scalar by scalar.
    let smallGramCodes: [UInt32]
    /// The gram codes of the folded values from U+0800 up.
    let largeGramCodes: [UInt32: UInt32]
    /// Bits per gram code in a gram key.
    let bits: Int
    /// Scalars per gram: as many codes as fit in 64 bits, at most 8.
    let gram: Int
    /// The gram key of every offset (its next `gram` gram codes, first in the high bits, 0 past
    /// the end), sorted; all offsets where a folded pattern of up to `gram` scalars starts are one run.
    let keys: [UInt64]
    /// The offsets in the order of `keys` (equal keys by offset).
    let offsets: [Int]

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

    enum QuoteResult {
        case found(Int)
        /// Several occurrences that context cannot tell apart.
        case ambiguous
        /// No occurrence, or none that context supports.
        case none
    }

    func quoteStep(_ query: Query) -> QuoteResult {
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
}
