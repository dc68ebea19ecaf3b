import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every version of an article or annotation, oldest first.",
            discussion: """
                Each version shows who made it and what it said. Versions marked * are the ones \
                shown now (several when they were made concurrently: they merge, or conflict); \
                CONCURRENT WITH names by number the versions each one was made without seeing. \
                Bring one back with 'gloss restore ID --to VERSION'. Only what the log holds is \
                listed.

                Example:
                  gloss history 4ev9ep
                """)

        @Argument(help: ArgumentHelp("The article's or annotation's id or unique prefix.", valueName: "id"))
        var id: String

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let history = try options.openStore().history(of: id)
            if options.json {
                Terminal.printJSON(history.json)
                return
            }
            print(Terminal.bold("\(history.kind.rawValue) \(history.id)"))
            print(Terminal.table(HistoryText.rows(history)))
            print(Terminal.dim("* shown now"))
        }
    }
}

/// The table of `gloss history`.
enum HistoryText {
    static func rows(_ history: EntityHistory) -> [[String]] {
        let numbers = Dictionary(uniqueKeysWithValues: history.versions.enumerated().map { ($1.dot, "#\($0 + 1)") })
        var rows = [["#", "VERSION", "OP", "TIME", "FROM", "CONCURRENT WITH", "CONTENT"]]
        for (index, version) in history.versions.enumerated() {
            rows.append([
                "\(index + 1)" + (version.isShown ? "*" : ""), version.dot.description, version.operation.rawValue,
                Timestamps.iso(version.time), origin(version), version.concurrentWith.compactMap { numbers[$0] }.joined(separator: " "),
                summary(version.content, kind: history.kind),
            ])
        }
        return rows
    }

    static func origin(_ version: HistoryVersion) -> String {
        let origin = version.isLocal ? "this replica" : "replica \(version.replica.description.prefix(10))"
        return version.author.map { "\(origin) (\($0))" } ?? origin
    }

    /// An annotation's quote, label, tags and note; an article's title and length.
    static func summary(_ content: EntityContent?, kind: EntityKind) -> String {
        guard let content else { return "(deleted)" }
        switch kind {
        case .annotation:
            var parts = ["“" + Terminal.truncate(content["target"]?["exact"]?.stringValue ?? "", 30) + "”"]
            if let label = content["label"]?.stringValue { parts.append("[\(label)]") }
            if let tags = content["tags"]?.stringArrayValue, !tags.isEmpty { parts.append(tags.map { "#" + $0 }.joined(separator: " ")) }
            parts.append("— " + (content["note"]?.stringValue.map { Terminal.truncate($0, 50) } ?? "(no note)"))
            return parts.joined(separator: "  ")
        case .article:
            let length = content["text"]?.stringValue?.unicodeScalars.count ?? 0
            return "“" + Terminal.truncate(content["title"]?.stringValue ?? "", 50) + "”  \(length) characters"
        }
    }
}
