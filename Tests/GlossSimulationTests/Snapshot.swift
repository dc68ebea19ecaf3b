import GlossCore
import GlossStore
import GRDB

/// What one replica shows of each entity, read straight from its materialized tables.
struct EntitySnapshot {
    struct Key: Hashable {
        let kind: EntityKind
        let id: String
    }

    struct Entry {
        /// The displayed content; `nil` when the entity is deleted (or hidden from its table).
        let content: EntityContent?
        /// Conflicted fields and their candidates' values.
        let conflicts: [String: [JSONValue?]]
        let deletedBy: [String]
    }

    let entries: [Key: Entry]

    init(_ replica: SimulatedReplica) throws {
        var entries: [Key: Entry] = [:]
        let rows = try replica.store.reader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.kind, e.id, e.conflicts, COALESCE(a.content, n.content) AS content FROM entities e
                    LEFT JOIN article_view a ON e.kind = 'article' AND a.entity = e.rowid
                    LEFT JOIN annotation_view n ON e.kind = 'annotation' AND n.entity = e.rowid
                    """)
        }
        for row in rows {
            guard let kind = EntityKind(rawValue: row["kind"]) else { continue }
            let content = (row["content"] as String?).flatMap { try? JSONParser.parse($0) }?.objectValue
            var conflicts: [String: [JSONValue?]] = [:]
            var deletedBy: [String] = []
            if let stored = row["conflicts"] as String?, let json = try? JSONParser.parse(stored) {
                for field in json["fields"]?.arrayValue ?? [] {
                    guard let name = field["field"]?.stringValue else { continue }
                    conflicts[name] = (field["candidates"]?.arrayValue ?? []).map { $0["value"] }
                }
                deletedBy = json["deletedBy"]?.stringArrayValue ?? []
            }
            entries[Key(kind: kind, id: row["id"])] = Entry(content: content, conflicts: conflicts, deletedBy: deletedBy)
        }
        self.entries = entries
    }

    /// The fields a new local version set, compared with what its replica showed before:
    /// changed values, and conflicted fields it no longer carries (settled). `nil`: every
    /// field (the entity was new or deleted here).
    func fieldsSet(by change: Change) -> Set<String>? {
        guard let before = entries[Key(kind: change.kind, id: change.entity)], let old = before.content,
            let text = change.content, let new = (try? JSONParser.parse(text))?.objectValue
        else { return nil }
        var fields = Set<String>()
        for key in Set(old.keys).union(new.keys) where key != ReservedField.conflicts && old[key] != new[key] {
            fields.insert(key)
        }
        let carried = new[ReservedField.conflicts]?.objectValue ?? [:]
        for field in before.conflicts.keys where carried[field] == nil { fields.insert(field) }
        return fields
    }
}
