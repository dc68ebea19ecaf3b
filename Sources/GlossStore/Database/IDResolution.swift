public import GlossCore
import GRDB

extension GlossDatabase {
    /// The smallest prefix length accepted for an id.
    public static let minimumPrefixLength = 6

    /// Finds the one entity whose id starts with `prefix`.
    /// - Parameters:
    ///   - prefix: at least six characters of an id, any case.
    ///   - kind: the kind wanted, or `nil` for either.
    public func resolveID(_ prefix: String, kind: EntityKind? = nil) throws -> (kind: EntityKind, id: String) {
        try read { db in try Self.resolveID(prefix, kind: kind, db) }
    }

    static func resolveID(_ prefix: String, kind: EntityKind?, _ db: Database) throws -> (kind: EntityKind, id: String) {
        let wanted = kind?.rawValue ?? "entry"
        let lowered = prefix.lowercased()
        // Ids are lowercase hex or Crockford base32: anything else cannot match, and
        // keeping to these characters makes the GLOB below safe.
        guard lowered.utf8.allSatisfy({ (48...57).contains($0) || (97...122).contains($0) }), !lowered.isEmpty else {
            throw StoreError.notFound(kind: wanted, id: prefix)
        }
        guard lowered.count >= minimumPrefixLength else { throw StoreError.idTooShort(prefix) }
        var sql = "SELECT kind, id FROM entities WHERE id GLOB ?"
        var arguments: StatementArguments = [lowered + "*"]
        if let kind {
            sql += " AND kind = ?"
            arguments += [kind.rawValue]
        }
        let rows = try Row.fetchAll(db, sql: sql + " ORDER BY id LIMIT 6", arguments: arguments)
        guard !rows.isEmpty else { throw StoreError.notFound(kind: wanted, id: prefix) }
        guard rows.count == 1 else { throw StoreError.ambiguousID(prefix, matches: rows.map { $0["id"] }) }
        return (EntityKind(rawValue: rows[0]["kind"])!, rows[0]["id"])
    }
}
