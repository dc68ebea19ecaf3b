public import GlossCore
import GRDB

/// What ``GlossDatabase/restore(_:to:)`` did.
public struct RestoreOutcome: Sendable, Hashable {
    public var kind: EntityKind
    public var id: String
    /// The old version whose content was brought back.
    public var restored: Dot
    /// The new local change, as ``GlossDatabase/log(entity:limit:)`` lists it; `nil` when
    /// the entity already showed that content without a conflict, so nothing was written.
    public var entry: LogEntry?

    public var changed: Bool { entry != nil }

    /// The new change's log entry (or the entity's kind and id when nothing changed), with
    /// `changed` and `restored`.
    public var json: JSONValue {
        var object = entry?.json.objectValue ?? ["kind": .string(kind.rawValue), "entity": .string(id)]
        object["changed"] = .bool(changed)
        object["restored"] = .string(restored.description)
        return .object(object)
    }
}

extension GlossDatabase {
    /// Brings back what an entity said in an earlier version: a new, ordinary local change
    /// whose content is that version's and whose clock joins the entity's whole frontier.
    ///
    /// So it undoes an overwrite, undoes a deletion, and settles an open conflict with that
    /// content, as a resolution does; it syncs and merges like any other change (made
    /// concurrently with another edit elsewhere, it conflicts with it). History is not
    /// rolled back: every version stays in the log, the restored one included. Fields
    /// reserved to the merge (`_conflicts`: sibling values the old version carried) are
    /// left out.
    ///
    /// An annotation is placed on its article's current text by the usual rules (it follows
    /// its words, or becomes an orphan when a correction removed them); its old quote need
    /// not occur there. Its article must be live: restoring an annotation of a deleted
    /// article throws ``StoreError/articleDeleted(_:)`` — restore the article first — even
    /// when the annotation holds that content already (it is hidden with its article). (An
    /// annotation written after this replica saw the deletion would otherwise stay hidden,
    /// or reopen the deletion as a conflict, depending on which replica deleted it.)
    ///
    /// When the entity already shows exactly that content and has no conflict, nothing is
    /// written and ``RestoreOutcome/changed`` is `false`. Everything happens in one write
    /// transaction. Only versions the log still holds can be restored (see ``history(of:)``).
    /// - Parameters:
    ///   - idPrefix: the article's or annotation's id, or a unique prefix of it.
    ///   - version: the version to bring back, as ``history(of:)`` lists it.
    /// - Throws: ``StoreError/versionNotFound(id:version:)``,
    ///   ``StoreError/versionOfAnotherEntity(id:version:owner:)``,
    ///   ``StoreError/versionIsDeletion(id:version:)``, ``StoreError/articleDeleted(_:)``;
    ///   nothing is written then.
    @discardableResult
    public func restore(_ idPrefix: String, to version: Dot) throws -> RestoreOutcome {
        try writeLocal { transaction in
            let (kind, id) = try Self.resolveID(idPrefix, kind: nil, transaction.db)
            let content = try Self.restorableContent(of: version, kind: kind, id: id, transaction.db)
            // Before "nothing to do": an annotation of a deleted article is hidden, not shown.
            try Self.requireLiveArticle(of: content, kind: kind, transaction)
            var outcome = RestoreOutcome(kind: kind, id: id, restored: version, entry: nil)
            if let view = try transaction.view(kind: kind, entity: id), !view.isConflicted,
                view.content.map(Self.withoutReservedFields) == content
            {
                return outcome
            }
            try Self.validate(content, kind: kind, id: id)
            // The old quote need not hold on today's text: placement re-anchors or orphans it.
            let change = try transaction.write(kind: kind, entity: id, content: content, checksQuote: false)
            outcome.entry = LogEntry(position: try ChangeLog.position(of: change.dot, transaction.db), change: change, isLocal: true)
            return outcome
        }
    }

    /// An annotation is restored onto a live article only (see ``restore(_:to:)``).
    private static func requireLiveArticle(of content: EntityContent, kind: EntityKind, _ transaction: LocalTransaction) throws {
        guard kind == .annotation, let article = content["article"]?.stringValue else { return }
        guard try transaction.texts.text(of: article, transaction.db) != nil else { throw StoreError.articleDeleted(article) }
    }

    /// The content `version` wrote for the entity `id`, without fields reserved to the merge.
    private static func restorableContent(of version: Dot, kind: EntityKind, id: String, _ db: Database) throws -> EntityContent {
        guard let change = try ChangeLog.stored(version, db) else { throw StoreError.versionNotFound(id: id, version: version) }
        guard change.kind == kind, change.entity == id else {
            throw StoreError.versionOfAnotherEntity(id: id, version: version, owner: change.entity)
        }
        guard let content = try ChangeLog.version(of: change).content else {
            throw StoreError.versionIsDeletion(id: id, version: version)
        }
        return withoutReservedFields(content)
    }

    private static func withoutReservedFields(_ content: EntityContent) -> EntityContent {
        var content = content
        content[ReservedField.conflicts] = nil
        return content
    }
}
