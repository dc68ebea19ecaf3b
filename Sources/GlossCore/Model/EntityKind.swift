/// The kinds of entity Gloss keeps.
public enum EntityKind: String, Sendable, Hashable, CaseIterable, Codable {
    case article
    case annotation
}

/// An entity's state as kept in the change log: a JSON object of fields. Generic on
/// purpose: fields this client does not know are kept and passed on unchanged.
public typealias EntityContent = [String: JSONValue]

/// Field names with a meaning of their own to the merge.
public enum ReservedField {
    /// Fields that merge as sets against the common ancestor.
    public static let setFields: Set<String> = ["tags"]
    /// Fields whose concurrent changes merge as text, three-way against the common
    /// ancestor: an article's text, so that corrections in different places both stay.
    public static let textFields: Set<String> = ["text"]
    /// Where a version carries the sibling values of fields it left unsettled.
    public static let conflicts = "_conflicts"
}
