/// The merge of concurrent versions: the same code on client and server.
///
/// Rules (design.md, Merge rules): disjoint fields merge; `tags` merge as sets against the
/// common ancestor; an article's `text` merges three-way against the common ancestor when
/// the corrections touch different places; the same field changed to different values is
/// a conflict that keeps every value, with a deterministic winner displayed; edit against
/// delete is a conflict; identical content is not; a resolution's clock dominates every
/// sibling.
public enum Merge {
    /// What a user sees for an entity.
    /// - Parameters:
    ///   - frontier: the entity's current frontier.
    ///   - history: every known version of the entity (the frontier's included), where
    ///     common ancestors are looked up. Only needed when the frontier has several versions.
    public static func view(of frontier: Frontier, history: [Version]) -> EntityView {
        let live = frontier.versions.filter { !$0.isDeletion }
        let deletions = frontier.versions.filter(\.isDeletion).map(\.dot)
        guard !live.isEmpty else {
            return EntityView(content: nil, conflicts: [], deletions: deletions, frontier: frontier.dots)
        }
        let ancestors = commonAncestors(of: live, in: history)
        var fields = Set<String>()
        for version in live + ancestors { fields.formUnion(fieldNames(of: version)) }
        fields.remove(ReservedField.conflicts)

        var content: EntityContent = [:]
        var conflicts: [FieldConflict] = []
        for field in fields.sorted() {
            if ReservedField.setFields.contains(field) {
                let merged = mergeSet(field: field, sides: live, ancestors: ancestors)
                if let merged { content[field] = merged }
                continue
            }
            let candidates = mergeRegister(field: field, sides: live, ancestors: ancestors, history: history)
            if candidates.count > 1, ReservedField.textFields.contains(field),
                let merged = mergeText(candidates, ancestors: ancestors, field: field)
            {
                content[field] = .string(merged)
                continue
            }
            if let value = candidates[0].value { content[field] = value }
            if candidates.count > 1 { conflicts.append(FieldConflict(field: field, candidates: candidates)) }
        }
        return EntityView(content: content, conflicts: conflicts, deletions: deletions, frontier: frontier.dots)
    }

    /// The fields a version has a say on: its own, and those whose sibling values it carries
    /// (a carried field may be absent from the content itself when its winner removed it).
    static func fieldNames(of version: Version) -> Set<String> {
        guard let content = version.content else { return [] }
        var names = Set(content.keys)
        if let carried = content[ReservedField.conflicts]?.objectValue { names.formUnion(carried.keys) }
        return names
    }

    /// The maximal versions of `history` that every version of `sides` has seen (strictly).
    static func commonAncestors(of sides: [Version], in history: [Version]) -> [Version] {
        guard sides.count > 1 else { return [] }
        let sideDots = Set(sides.map(\.dot))
        let common = history.filter { candidate in
            !sideDots.contains(candidate.dot) && sides.allSatisfy { candidate.clock.isDominated(by: $0.clock) }
        }
        return common.filter { candidate in
            !common.contains { $0.dot != candidate.dot && candidate.clock.isDominated(by: $0.clock) }
        }
    }

    private static func valueSet(_ candidates: [Candidate]) -> Set<JSONValue?> {
        Set(candidates.map(\.value))
    }

    /// A register field: one side's change wins over the ancestor's value; different
    /// changes on several sides are all kept.
    ///
    /// A side changed the field when any version on its way from the common ancestors (the
    /// side itself or one it has seen that the ancestors have not) holds another value than
    /// the ancestors: a side that set a value and then set the old one back (A → B → A) made
    /// an edit all the same, and it must stay visible beside a concurrent edit instead of
    /// silently losing to it.
    static func mergeRegister(field: String, sides: [Version], ancestors: [Version], history: [Version] = []) -> [Candidate] {
        let sideCandidates = sides.map { CarriedConflicts.candidates(of: $0, field: field) }
        if sides.count == 1 { return sideCandidates[0].sorted(by: Candidate.displayOrder) }
        let sets = sideCandidates.map(valueSet)
        // The values the common ancestors hold. When they disagree (siblings of a conflict
        // that both sides have seen), a side still carrying all of them settled nothing, so it
        // must not undo a side that did (a resolution, an edit of the field).
        let ancestorSets = ancestors.map { valueSet(CarriedConflicts.candidates(of: $0, field: field)) }
        let base: Set<JSONValue?>? = ancestorSets.isEmpty ? nil : ancestorSets.reduce(into: []) { $0.formUnion($1) }
        var chosen = sideCandidates
        if !sets.allSatisfy({ $0 == sets[0] }), let base {
            let changed = sideCandidates.indices.filter { index in
                if sets[index] != base { return true }
                let side = sides[index]
                return history.contains { version in
                    // After the ancestors (`isDominated` includes equality, so not an ancestor itself).
                    version.dot != side.dot && version.clock.isDominated(by: side.clock)
                        && !ancestors.contains { version.clock.isDominated(by: $0.clock) }
                        && valueSet(CarriedConflicts.candidates(of: version, field: field)) != base
                }
            }
            if !changed.isEmpty { chosen = changed.map { sideCandidates[$0] } }
        }
        // One candidate per distinct value: the latest writer of it.
        var best: [JSONValue?: Candidate] = [:]
        for candidate in chosen.joined() {
            if let existing = best[candidate.value], !Candidate.displayOrder(candidate, existing) { continue }
            best[candidate.value] = candidate
        }
        return best.values.sorted(by: Candidate.displayOrder)
    }

    /// Concurrent changes of a text field, merged three-way against the one value the
    /// common ancestors agree on (``TextMerge``), in display order; `nil` (a conflict) when
    /// two of them overlap, when there is no single ancestor value, or when the result would
    /// not be NFC (an edit next to a combining mark on the other side).
    static func mergeText(_ candidates: [Candidate], ancestors: [Version], field: String) -> String? {
        let bases = Set(ancestors.flatMap { CarriedConflicts.candidates(of: $0, field: field).map(\.value) })
        guard bases.count == 1, let base = bases.first??.stringValue else { return nil }
        var merged: String? = nil
        for candidate in candidates {
            guard let text = candidate.value?.stringValue else { return nil }
            guard let sofar = merged else {
                merged = text
                continue
            }
            guard let next = TextMerge.merge(base: base, sofar, text) else { return nil }
            merged = next
        }
        guard let merged, UnicodeNormalization.nfc(merged) == merged else { return nil }
        return merged
    }

    /// A set field: a member is kept if some side added it, or if the ancestor had it and
    /// no side removed it.
    static func mergeSet(field: String, sides: [Version], ancestors: [Version]) -> JSONValue? {
        func members(_ version: Version) -> Set<String> {
            Set(version.content?[field]?.stringArrayValue ?? [])
        }
        let sideSets = sides.map(members)
        if sides.count == 1 {
            return sides[0].content?[field] == nil ? nil : .array(sideSets[0].sorted().map { .string($0) })
        }
        let base = ancestors.map(members).reduce(nil as Set<String>?) { partial, next in
            partial.map { $0.intersection(next) } ?? next
        } ?? []
        var result = Set<String>()
        for set in sideSets { result.formUnion(set.subtracting(base)) }
        result.formUnion(base.filter { member in sideSets.allSatisfy { $0.contains(member) } })
        let present = sides.contains { $0.content?[field] != nil }
        return present || !result.isEmpty ? .array(result.sorted().map { .string($0) }) : nil
    }
}
