/// One value a field may take, and the version that wrote it.
public struct Candidate: Sendable, Hashable {
    /// The value; `nil` when the version has no such field.
    public var value: JSONValue?
    public var origin: Dot
    public var timestamp: HybridTimestamp

    public init(value: JSONValue?, origin: Dot, timestamp: HybridTimestamp) {
        self.value = value
        self.origin = origin
        self.timestamp = timestamp
    }

    /// Display order: latest timestamp first, then replica id, then seq.
    static func displayOrder(_ lhs: Candidate, _ rhs: Candidate) -> Bool {
        (lhs.timestamp, lhs.origin.replica, lhs.origin.seq) > (rhs.timestamp, rhs.origin.replica, rhs.origin.seq)
    }
}

/// A field changed to different values concurrently. All values are kept; the first
/// is the deterministic winner shown meanwhile.
public struct FieldConflict: Sendable, Hashable {
    public var field: String
    /// Two or more distinct values, winner first.
    public var candidates: [Candidate]

    public init(field: String, candidates: [Candidate]) {
        self.field = field
        self.candidates = candidates
    }
}

/// What a user sees of an entity: a pure, deterministic function of its frontier and
/// history, so every replica and the server show the same thing for the same frontier.
public struct EntityView: Sendable, Hashable {
    /// The displayed fields (winners where conflicted); `nil` when deleted.
    public var content: EntityContent?
    /// Fields with concurrent different values, sorted by field name.
    public var conflicts: [FieldConflict]
    /// Versions of the frontier that delete the entity while others edit it.
    public var deletions: [Dot]
    /// The frontier's dots, sorted.
    public var frontier: [Dot]

    /// Deleted everywhere that counts: every frontier version is a deletion.
    public var isDeleted: Bool { content == nil }
    /// An edit raced a deletion: the entity stays visible until someone settles it.
    public var hasDeleteConflict: Bool { content != nil && !deletions.isEmpty }
    public var isConflicted: Bool { !conflicts.isEmpty || hasDeleteConflict }

    public func conflict(for field: String) -> FieldConflict? {
        conflicts.first { $0.field == field }
    }

    /// The content of a new local version that edits this view: `changes` set (a `nil`
    /// value removes the field), every other conflicted field keeps all its sibling
    /// values, so an unrelated edit never silently picks a winner.
    public func editedContent(_ changes: [String: JSONValue?]) -> EntityContent {
        var result = content ?? [:]
        for (field, value) in changes { result[field] = value }
        let carried = conflicts.filter { changes[$0.field] == nil }
        if carried.isEmpty {
            result[ReservedField.conflicts] = nil
        } else {
            var object: [String: JSONValue] = [:]
            for conflict in carried { object[conflict.field] = .array(conflict.candidates.map(CarriedConflicts.encode)) }
            result[ReservedField.conflicts] = .object(object)
        }
        return result
    }

    /// The content of a resolution: every conflicted field takes the value `choose` picks
    /// (its winner when `choose` returns `nil`), then `overrides` apply; nothing is carried.
    public func resolvedContent(
        choosing choose: (FieldConflict) -> Candidate?, overrides: [String: JSONValue?]
    ) -> EntityContent {
        var result = content ?? [:]
        for conflict in conflicts {
            let pick = choose(conflict) ?? conflict.candidates[0]
            result[conflict.field] = pick.value
        }
        for (field, value) in overrides { result[field] = value }
        result[ReservedField.conflicts] = nil
        return result
    }
}

/// How a version carries unsettled sibling values: `_conflicts: {field: [{from, at, value}]}`.
enum CarriedConflicts {
    static func encode(_ candidate: Candidate) -> JSONValue {
        var object: [String: JSONValue] = [
            "from": .string(candidate.origin.description), "at": .string(candidate.timestamp.description),
        ]
        if let value = candidate.value { object["value"] = value }
        return .object(object)
    }

    static func decode(_ json: JSONValue) -> [Candidate]? {
        guard let array = json.arrayValue, array.count >= 2 else { return nil }
        var result: [Candidate] = []
        for element in array {
            guard let object = element.objectValue, let from = object["from"]?.stringValue, let dot = Dot(from),
                let at = object["at"]?.stringValue, let timestamp = HybridTimestamp(at)
            else { return nil }
            result.append(Candidate(value: object["value"], origin: dot, timestamp: timestamp))
        }
        return result
    }

    /// The candidates a version holds for a field: its carried siblings if it has them,
    /// otherwise its own value.
    static func candidates(of version: Version, field: String) -> [Candidate] {
        let content = version.content ?? [:]
        if let carried = content[ReservedField.conflicts]?[field], let candidates = decode(carried) {
            return candidates
        }
        return [Candidate(value: content[field], origin: version.dot, timestamp: version.timestamp)]
    }
}
