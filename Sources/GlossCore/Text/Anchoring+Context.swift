// How well a selector's stored context supports a place in the text (see ``Anchoring``).
extension Anchoring {
    /// What a selector brings, prepared once.
    struct Query {
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
    struct Support {
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
    enum Agreement: Equatable {
        case none
        /// Enough of it matches, but maybe only a run next to the span (a phrase that recurs).
        case near
        /// Its far end matches as well (or it reaches the text's edge as it did).
        case throughout
    }

    func support(_ query: Query, _ start: Int, _ end: Int) -> Support {
        let before = sideScore(query.before, at: start, backwards: true)
        let after = sideScore(query.after, at: end, backwards: false)
        return Support(
            before: before.score, after: after.score,
            beforeAgreement: Self.agreement(query.before.count, before, available: start),
            afterAgreement: Self.agreement(query.after.count, after, available: text.count - end))
    }

    /// Whether an exact occurrence at `start..<end` may be taken (rules in ``Anchoring``).
    func accepts(_ query: Query, _ start: Int, _ end: Int) -> Bool {
        if query.quote.count >= Self.selfEvidentLength || query.evidence < Self.minimumEvidence { return true }
        let n = text.count
        let before = Self.agreement(query.before.count, sideScore(query.before, at: start, backwards: true), available: start)
        if before == .throughout { return true }
        let after = Self.agreement(query.after.count, sideScore(query.after, at: end, backwards: false), available: n - end)
        return after == .throughout || (before != .none && after != .none)
    }

    /// How a side of `length` stored scalars agrees with the text; `available` is how many
    /// scalars the text has on that side.
    static func agreement(_ length: Int, _ side: SideScore, available: Int) -> Agreement {
        if length > 0 && available == length && side.exact == length { return .throughout }
        guard length >= minimumSide && 4 * side.score >= 3 * length && side.edge else { return .none }
        return side.farDistance <= 1 ? .throughout : .near
    }

    /// How a stored side matches the text: `score` scalars by edit distance, the first `exact`
    /// exactly; `farDistance`, the edit distance of its far end (its last 8 scalars) to the text
    /// about where it was; `edge`, whether the scalars next to the span match (the first 4
    /// exactly, or the first 8 within one edit).
    struct SideScore {
        var score: Int
        var exact: Int
        var farDistance: Int = 0
        var edge: Bool = true
    }

    /// How many scalars of a stored side (nearest first) match the text going outward from
    /// `position`: its length minus its edit distance to the best-matching stretch there; how
    /// many match exactly, from the boundary; how far its far end is from the text about where
    /// it was; and whether the scalars next to the boundary match.
    func sideScore(_ side: [UInt32], at position: Int, backwards: Bool) -> SideScore {
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
    func edgePenalty(_ query: Query, _ position: Int, atStart: Bool) -> Int {
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
    func cutsWord(_ query: Query, _ start: Int, _ end: Int) -> Bool {
        let startCut = boundary(at: start), endCut = boundary(at: end)
        return (!query.before.isEmpty && startCut.left && startCut.right && !(query.startBoundary.left && query.startBoundary.right))
            || (!query.after.isEmpty && endCut.left && endCut.right && !(query.endBoundary.left && query.endBoundary.right))
    }

    /// Whether the scalars either side of `position` are word scalars (false past the edges).
    func boundary(at position: Int) -> Boundary {
        let n = text.count
        return Boundary(
            left: position > 0 && position <= n && wordScalars[position - 1],
            right: position >= 0 && position < n && wordScalars[position])
    }

    /// The word-ness of the scalars either side of a span's edge.
    struct Boundary: Equatable {
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
    func matchBefore(_ side: [UInt32], _ position: Int) -> Int {
        var count = 0
        let limit = min(side.count, position)
        while count < limit && folded[position - 1 - count] == side[count] { count += 1 }
        return count
    }

    /// How many scalars of `side` equal the folded text from `position` on.
    func matchAfter(_ side: [UInt32], _ position: Int) -> Int {
        var count = 0
        let limit = min(side.count, text.count - position)
        while count < limit && folded[position + count] == side[count] { count += 1 }
        return count
    }
}
