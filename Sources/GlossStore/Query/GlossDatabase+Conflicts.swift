public import GlossCore
import GRDB

/// One version among an entity's concurrent siblings.
public struct SiblingVersion: Sendable, Hashable {
    public var dot: Dot
    public var time: Int64
    public var isDeletion: Bool
    public var isLocal: Bool
    /// The user the server recorded as pushing it, once it has been synced.
    public var author: String?
}

/// An entity with open conflicts, as `gloss conflicts` lists it.
public struct ConflictEntry: Sendable, Hashable {
    public var kind: EntityKind
    public var id: String
    /// The article title, or the annotation's quote, to recognise it by.
    public var label: String
    public var conflicts: EntityConflicts
    /// The frontier: the sibling versions that have not been reconciled.
    public var versions: [SiblingVersion]

    public var json: JSONValue {
        .object([
            "kind": .string(kind.rawValue), "id": .string(id), "label": .string(label), "conflicts": conflicts.json,
            "versions": .array(
                versions.map { version in
                    var object: [String: JSONValue] = [
                        "version": .string(version.dot.description), "replica": .string(version.dot.replica.description),
                        "time": .string(Timestamps.iso(version.time)), "deleted": .bool(version.isDeletion),
                        "local": .bool(version.isLocal),
                    ]
                    if let author = version.author { object["author"] = .string(author) }
                    return .object(object)
                }),
        ])
    }
}

/// How `gloss resolve` settles a conflict.
public enum ResolveChoice: Sendable, Hashable {
    /// This replica's values.
    case mine
    /// The other replica's values (when one other replica is involved).
    case theirs
    /// The values of one version, by `REPLICA:SEQ` or a unique prefix of it.
    case pick(String)
    /// Only the values given as overrides.
    case none
}

extension GlossDatabase {
    /// Every entity with open conflicts.
    public func conflicts() throws -> [ConflictEntry] {
        try read { db in try Self.fetchConflicts(db) }
    }

    static func fetchConflicts(_ db: Database) throws -> [ConflictEntry] {
        let local = try ReplicaState.load(db).info.id
        let rows = try Row.fetchAll(
            db, sql: "SELECT kind, id, conflicts FROM entities WHERE conflicts IS NOT NULL ORDER BY kind, id")
        return try rows.map { row in
            let kind = try EntityKind.stored(row["kind"])
            let id: String = row["id"]
            let frontier = try ChangeLog.frontier(kind: kind, entity: id, db)
            let authors = try Dictionary(
                uniqueKeysWithValues: frontier.dots.map { dot in
                    (dot, try String.fetchOne(
                        db, sql: "SELECT author FROM changes WHERE replica = ? AND seq = ?",
                        arguments: [dot.replica.description, Int64(dot.seq)]))
                })
            let label: String
            switch kind {
            case .article:
                label = try Row.fetchOne(db, sql: "SELECT id, content FROM article_view WHERE kind = 'article' AND id = ?", arguments: [id])
                    .map { try articleRecord(content: $0).title } ?? ""
            case .annotation:
                var reader = AnnotationPlacement.Reader()
                label = try Row.fetchOne(
                    db, sql: "SELECT \(AnnotationPlacement.Reader.columns) FROM annotation_view WHERE kind = 'annotation' AND id = ?", arguments: [id]
                ).map { try reader.placed(from: $0, db).target.exact } ?? ""
            }
            return ConflictEntry(
                kind: kind, id: id, label: label,
                conflicts: try EntityConflicts.read(stored: row["conflicts"]) ?? EntityConflicts(fields: [], deletedBy: []),
                versions: frontier.versions.map { version in
                    SiblingVersion(
                        dot: version.dot, time: version.timestamp.wallMilliseconds, isDeletion: version.isDeletion,
                        isLocal: version.dot.replica == local, author: authors[version.dot] ?? nil)
                })
        }
    }

    /// Settles an entity's conflicts with a new version whose clock joins every sibling,
    /// so it dominates them all everywhere once synced.
    /// - Parameters:
    ///   - idPrefix: the article or annotation (id or unique prefix).
    ///   - choice: whose values to take for the conflicted fields.
    ///   - overrides: new values for fields (a `nil` value removes the field); they settle
    ///     those fields whatever `choice` says.
    /// - Returns: the entity's kind and id, and whether the resolution deleted it.
    @discardableResult
    public func resolve(
        _ idPrefix: String, choice: ResolveChoice, overrides: [String: JSONValue?] = [:]
    ) throws -> (kind: EntityKind, id: String, deleted: Bool) {
        try writeLocal { transaction in
            let (kind, id) = try Self.resolveID(idPrefix, kind: nil, transaction.db)
            guard let view = try transaction.view(kind: kind, entity: id), view.isConflicted else {
                throw StoreError.notConflicted(id)
            }
            let local = transaction.replica.id
            let origins = Set(view.conflicts.flatMap { $0.candidates.map(\.origin) } + view.deletions + view.frontier)
            let picked: Dot?
            switch choice {
            case .pick(let text):
                let matches = origins.filter { $0.description.lowercased().hasPrefix(text.lowercased()) }
                guard matches.count == 1 else {
                    throw StoreError.noSuchVersion(text, available: origins.sorted().map(\.description))
                }
                picked = matches.first
            default: picked = nil
            }
            func accepts(_ dot: Dot) -> Bool {
                switch choice {
                case .mine: return dot.replica == local
                case .theirs: return dot.replica != local
                case .pick: return dot == picked
                case .none: return false
                }
            }
            // Deletion: the chosen side deleted the entity.
            if view.hasDeleteConflict, overrides.isEmpty, view.deletions.contains(where: accepts) {
                try transaction.write(kind: kind, entity: id, content: nil)
                return (kind, id, true)
            }
            var unresolved: [String] = []
            var ambiguous: [String] = []
            let content = view.resolvedContent(
                choosing: { conflict in
                    if overrides[conflict.field] != nil { return nil }
                    let accepted = conflict.candidates.filter { accepts($0.origin) }
                    if accepted.isEmpty {
                        unresolved.append(conflict.field)
                    } else if choice == .theirs, Set(accepted.map(\.origin.replica)).count > 1 {
                        ambiguous.append(conflict.field)
                    }
                    return accepted.first
                }, overrides: overrides)
            if !ambiguous.isEmpty {
                throw StoreError.ambiguousSide(fields: ambiguous)
            }
            guard unresolved.isEmpty else { throw StoreError.unresolvedFields(id: id, fields: unresolved) }
            try Self.validate(content, kind: kind, id: id)
            try transaction.write(kind: kind, entity: id, content: content)
            return (kind, id, false)
        }
    }
}
