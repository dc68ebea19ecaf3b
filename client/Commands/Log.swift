import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the change log, newest first, with where each change came from.",
            discussion: """
                Example:
                  gloss log --entity 01hx3k --limit 10
                """)

        @Option(help: ArgumentHelp("Only changes of this article or annotation (id or unique prefix).", valueName: "id"))
        var entity: String?

        @Option(help: "At most this many entries.")
        var limit = 50

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard limit > 0 else { throw ArgumentParser.ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let entries = try options.openStore().log(entity: entity, limit: limit)
            if options.json {
                Terminal.printJSON(.array(entries.map(\.json)))
                return
            }
            guard !entries.isEmpty else {
                print("The log is empty.")
                return
            }
            var rows = [["#", "VERSION", "OP", "ENTITY", "TIME", "FROM"]]
            for entry in entries {
                let change = entry.change
                var origin = entry.isLocal ? "this replica" : "replica \(change.dot.replica.description.prefix(10))"
                if let author = change.author { origin += " (\(author))" }
                rows.append([
                    String(entry.position), change.dot.description, change.operation.rawValue,
                    "\(change.kind.rawValue) \(Terminal.short(change.entity))", Timestamps.iso(change.timestamp.wallMilliseconds), origin,
                ])
            }
            print(Terminal.table(rows))
        }
    }
}
