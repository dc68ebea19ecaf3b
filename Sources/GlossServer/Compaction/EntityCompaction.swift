import GlossCore

/// Which stored changes of one entity a compaction drops (docs/operations.md, "Compaction").
///
/// Only history at or below the floor is considered (the *stable* changes): every replica
/// that may still push holds all of it. Of those, when one version supersedes all the
/// others (its clock dominates theirs), the others go: a replica rebuilt from the current
/// state needs only that version, and any change still to come descends from it. Kept:
/// everything of an entity whose frontier holds more than one version (an open conflict or
/// concurrent versions: the merge needs their common ancestors and what lies between), all
/// stable versions when several of them are maximal, every version above the floor, and
/// the superseding version itself even when it is a deletion (a replica that edited the
/// entity offline must see the deletion to show an edit-versus-delete conflict), and the
/// entity's earliest version (the least hybrid wall time of all its stored versions): every
/// replica shows when an entity was created as that least time over the versions it holds,
/// so a replica that pulls the compacted log must still get it (at most two versions stay).
enum EntityCompaction {
    /// A stored change of an entity, with its clock.
    struct Stored: Sendable {
        let position: Int64
        let dot: Dot
        let clock: VectorClock
        /// The wall milliseconds of its hybrid timestamp.
        let wall: Int64
    }

    /// The positions to drop of one entity, given all its stored changes (in any order).
    static func droppable(stored: [Stored], floor: Int64, frontier: Set<Dot>, entity: String) throws(StorageError) -> [Int64] {
        guard let earliest = stored.map(\.wall).min() else { return [] }
        let dropped = try droppable(stable: stored.filter { $0.position <= floor }, frontier: frontier, entity: entity)
        let kept = Set(stored.filter { $0.wall == earliest }.map(\.position))
        return dropped.filter { !kept.contains($0) }
    }

    /// The positions of `stable` (the entity's stored changes at or below the floor) to drop.
    /// - Parameter frontier: the dots of the entity's frontier.
    /// - Throws: ``StorageError/corruptRecord(_:)`` when a frontier version would be dropped
    ///   (a frontier version is never superseded, so the stored data is inconsistent).
    static func droppable(stable: [Stored], frontier: Set<Dot>, entity: String) throws(StorageError) -> [Int64] {
        guard frontier.count == 1, stable.count > 1 else { return [] }
        // The maximal versions, as a frontier is kept: a version superseded by one of them is
        // left out, and one that supersedes some of them replaces those.
        var maximal: [Stored] = []
        for version in stable {
            if maximal.contains(where: { Self.supersedes($0, version) }) { continue }
            maximal.removeAll { Self.supersedes(version, $0) }
            maximal.append(version)
        }
        guard maximal.count == 1, let kept = maximal.first else { return [] }
        let dropped = stable.filter { $0.position != kept.position }
        for version in dropped where frontier.contains(version.dot) {
            throw .corruptRecord("entity \(entity): frontier version \(version.dot) is superseded by \(kept.dot)")
        }
        return dropped.map(\.position)
    }

    /// Whether `later` strictly supersedes `earlier` (equal clocks of two dots supersede
    /// neither: both are kept).
    static func supersedes(_ later: Stored, _ earlier: Stored) -> Bool {
        earlier.clock.isDominated(by: later.clock) && earlier.clock != later.clock
    }

    /// Reads the wall milliseconds of a change's hybrid timestamp as stored (its `time`
    /// member, `WALL.COUNTER`, extracted by the database).
    static func wall(_ text: String?, of dot: String) throws(StorageError) -> Int64 {
        guard let text, let timestamp = HybridTimestamp(text) else { throw .corruptRecord("the time of change \(dot) is unreadable") }
        return timestamp.wallMilliseconds
    }

    /// Reads a change's clock as stored (its `clock` member, extracted by the database).
    static func clock(_ text: String?, of dot: String) throws(StorageError) -> VectorClock {
        guard let text, let json = try? JSONParser.parse(text), let clock = VectorClock(json: json) else {
            throw .corruptRecord("the clock of change \(dot) is unreadable")
        }
        return clock
    }

    /// An entity's key as stored.
    static func key(kind: String, entity: String) throws(StorageError) -> PushPlan.EntityKey {
        guard let kind = EntityKind(rawValue: kind) else { throw .corruptRecord("entity \(entity) has the unknown kind '\(kind)'") }
        return PushPlan.EntityKey(kind: kind, entity: entity)
    }

    /// A stored change's dot.
    static func dot(replica: String, seq: Int64) throws(StorageError) -> Dot {
        guard let id = ReplicaID(replica), seq > 0 else { throw .corruptRecord("a stored change has the dot \(replica):\(seq)") }
        return Dot(replica: id, seq: UInt64(seq))
    }
}
