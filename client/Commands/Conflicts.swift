import ArgumentParser
import Foundation
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
                    // Texts differ somewhere in kilobytes: show where, not how they begin.
                    let texts = conflict.candidates.compactMap { $0.value?.stringValue }
                    let excerpts = ReservedField.textFields.contains(conflict.field) && texts.count == conflict.candidates.count
                        ? ConflictText.excerpts(texts) : nil
                    for (index, candidate) in conflict.candidates.enumerated() {
                        let value = excerpts?[index] ?? Terminal.truncate(candidate.value.map(CanonicalJSON.string) ?? "(none)", 60)
                        print("    \(index == 0 ? "*" : " ") \(value)  from \(candidate.origin)")
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
    /// Each text's part that differs from the others (their common beginning and end cut
    /// away), with a little context either side and the offset where it starts, on one line.
    static func excerpts(_ texts: [String], context: Int = 20, width: Int = 60) -> [String] {
        let scalars = texts.map { ScalarText($0).scalars }
        let shortest = scalars.map(\.count).min() ?? 0
        var prefix = 0
        while prefix < shortest, scalars.allSatisfy({ $0[prefix] == scalars[0][prefix] }) { prefix += 1 }
        var suffix = 0
        while suffix < shortest - prefix, scalars.allSatisfy({ $0[$0.count - 1 - suffix] == scalars[0][scalars[0].count - 1 - suffix] }) {
            suffix += 1
        }
        return scalars.map { text in
            let from = max(0, prefix - context), to = min(text.count, text.count - suffix + context)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: text[from..<to])
            let excerpt = String(view).replacingOccurrences(of: "\r", with: "")
            return "at \(prefix): " + (from > 0 ? "…" : "") + Terminal.truncate(excerpt, width) + (to < text.count ? "…" : "")
        }
    }

    static func summary(_ conflicts: EntityConflicts) -> String {
        var parts = conflicts.fields.map(\.field)
        if !conflicts.deletedBy.isEmpty { parts.append("deleted while edited") }
        return parts.joined(separator: ", ")
    }
}
