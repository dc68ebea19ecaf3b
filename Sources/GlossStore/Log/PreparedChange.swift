public import GlossCore

/// A change read and checked before its transaction: the version it writes, the model
/// of its content, and the text forms that the log and the search index store.
///
/// Preparing reads no database, so the sync engine prepares the next pull page on the
/// thread that fetches it while the current page is applied: the writing thread, which
/// bounds a first sync, is left with SQLite's work.
public struct PreparedChange: Sendable {
    public let change: Change
    let version: Version
    /// The content as ``Materializer/validate(_:version:)`` read it; `nil` for a deletion.
    let written: Materializer.Written?
    /// The canonical JSON of the change's clock and of the dots it replaces, as the log stores them.
    let clockText: String
    let replacesText: String
    /// Whether, as its entity's only version, the change shows exactly its content: a put
    /// whose content the merge takes as it is (no unsettled `_conflicts` it carries, tags
    /// already a set). Only such a first version skips the merge (see `FirstVersions`).
    let showsItsContent: Bool

    /// Checks `change` (its shape and its content; not quotes against article texts,
    /// which changes from elsewhere are never held to) and prepares it.
    /// - Throws: ``StoreError/invalidChange(_:)`` when the change is malformed or its
    ///   content is not a valid article or annotation.
    public init(_ change: Change) throws {
        let version = try ChangeLog.version(of: change)
        self.init(change, version: version, written: try Materializer.validate(change, version: version))
    }

    init(_ change: Change, version: Version, written: Materializer.Written?) {
        self.change = change
        self.version = version
        self.written = written
        self.clockText = CanonicalJSON.string(change.clock.json)
        self.replacesText = CanonicalJSON.string(.array(change.replaces.map { .string($0.description) }))
        if let content = written?.content {
            let view = Merge.view(of: Frontier([version]), history: [])
            showsItsContent = !view.isConflicted && view.content == content
        } else {
            showsItsContent = false
        }
    }
}
