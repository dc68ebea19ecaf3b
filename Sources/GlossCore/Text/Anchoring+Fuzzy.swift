// The approximate step of ``Anchoring``: the quoted words themselves were corrected, so the
// quote is matched within an edit distance where its context or pieces of it are found again.
extension Anchoring {
    struct Candidate {
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

    func fuzzy(_ query: Query) -> Placement {
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
    func anchors(_ query: Query) -> [Int] {
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
    func pieceStarts(_ piece: [Unicode.Scalar], _ foldedPiece: [UInt32], gramAt first: Int, near: Int) -> [Int] {
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
    func approximateMatches(_ query: Query, around anchor: Int, loose: Int) -> [(Int, Int, Int)] {
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
    func boundary(
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
}
