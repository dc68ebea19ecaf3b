import GlossCore

/// What the workload knows it did, independent of what the system reports: which fields
/// each local change set, and which changes the server acknowledged.
final class History {
    /// One local change and the fields it set (changed from what its replica showed, or
    /// settled from a conflict); `nil` for a version that set every field (a creation).
    struct Write {
        let dot: Dot
        let kind: EntityKind
        let entity: String
        let fields: Set<String>?
        let isDeletion: Bool

        func sets(_ field: String) -> Bool { !isDeletion && (fields?.contains(field) ?? true) }
    }

    private(set) var writes: [Dot: Write] = [:]
    /// Annotations in the order the workload made them: choices go by this order, never by
    /// the (system-random) annotation id, so a seed replays the same operations.
    private(set) var annotationOrder: [String] = []
    private var annotationIndex: [String: Int] = [:]
    /// The highest seq of each replica the server acknowledged to it.
    private(set) var acknowledged: [ReplicaID: UInt64] = [:]
    /// Changes a server compaction dropped (superseded below the horizon), kept here so the
    /// final checks can still see who wrote what.
    private(set) var compactedChanges: [Dot: Change] = [:]
    var compacted: Set<Dot> { Set(compactedChanges.keys) }
    /// Replica ids given up by a rebuild, with the highest seq acknowledged under them: their
    /// later changes were made again under the new id, not sent.
    private(set) var rebuilt: [ReplicaID: UInt64] = [:]

    func compacted(_ changes: some Sequence<Change>) {
        for change in changes { compactedChanges[change.dot] = change }
    }

    func rebuilt(_ replica: ReplicaID) { rebuilt[replica] = acknowledged[replica] ?? 0 }

    /// Whether a local change was made again under a new replica id instead of being sent.
    func madeAgain(_ dot: Dot) -> Bool { rebuilt[dot.replica].map { dot.seq > $0 } ?? false }

    func record(_ write: Write) {
        writes[write.dot] = write
        if write.kind == .annotation, annotationIndex[write.entity] == nil {
            annotationIndex[write.entity] = annotationOrder.count
            annotationOrder.append(write.entity)
        }
    }

    func acknowledge(_ replica: ReplicaID, upTo seq: UInt64) {
        acknowledged[replica] = max(acknowledged[replica] ?? 0, seq)
    }

    /// Annotation ids in workload order.
    func ordered(_ ids: Set<String>) -> [String] {
        ids.sorted { (annotationIndex[$0] ?? Int.max, $0) < (annotationIndex[$1] ?? Int.max, $1) }
    }
}
