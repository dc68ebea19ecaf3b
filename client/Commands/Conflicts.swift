import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Conflicts: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List conflicted articles and annotations with their sibling versions.",
            discussion: """
                A conflict is the same field changed to different values on two replicas, or an \
                edit that raced a deletion. Every value is kept; the one shown meanwhile is marked \
                with *. Settle one with 'gloss resolve'.

                Example:
                  gloss conflicts --json
                """)

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let entries = try options.openStore().conflicts()
            if options.json {
                Terminal.printJSON(.array(entries.map(\.json)))
                return
            }
            guard !entries.isEmpty else {
                print("No conflicts.")
                return
            }
            for entry in entries {
                print(Terminal.bold("\(entry.kind.rawValue) \(entry.id)") + "  “\(Terminal.truncate(entry.label, 50))”")
                for version in entry.versions {
                    var line = "  version \(version.dot)  \(Timestamps.iso(version.time))"
                    if version.isLocal { line += "  (mine)" }
                    if let author = version.author { line += "  by \(author)" }
                    if version.isDeletion { line += "  deleted it" }
                    print(line)
                }
                for conflict in entry.conflicts.fields {
                    print("  \(conflict.field):")
                    for (index, candidate) in conflict.candidates.enumerated() {
                        let value = candidate.value.map(CanonicalJSON.string) ?? "(none)"
                        print("    \(index == 0 ? "*" : " ") \(Terminal.truncate(value, 60))  from \(candidate.origin)")
                    }
                }
                if !entry.conflicts.deletedBy.isEmpty {
                    print("  deleted by \(entry.conflicts.deletedBy.map(\.description).joined(separator: ", ")) while edited elsewhere")
                }
            }
        }
    }
}

/// One-line descriptions of conflicts.
enum ConflictText {
    static func summary(_ conflicts: EntityConflicts) -> String {
        var parts = conflicts.fields.map(\.field)
        if !conflicts.deletedBy.isEmpty { parts.append("deleted while edited") }
        return parts.joined(separator: ", ")
    }
}
