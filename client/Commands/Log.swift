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

        @Flag(help: "List the compactions of this replica's log instead: when, against which floor, what they dropped.")
        var compactions = false

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard limit > 0 else { throw ArgumentParser.ValidationError("--limit must be at least 1") }
            guard !compactions || entity == nil else {
                throw ArgumentParser.ValidationError("--compactions lists the whole log's compactions: leave out --entity")
            }
        }

        func run() throws {
            let store = try options.openStore()
            if compactions { return try showCompactions(store) }
            let entries = try store.log(entity: entity, limit: limit)
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
            if let last = try store.compactions().last {
                print("compacted \(last.at): \(Compact.describe(last)) ('gloss log --compactions' lists every compaction)")
            }
        }

        func showCompactions(_ store: GlossDatabase) throws {
            let records = try store.compactions()
            if options.json {
                Terminal.printJSON(.array(records.map(\.json)))
                return
            }
            guard !records.isEmpty else {
                print("This replica's log was never compacted.")
                return
            }
            for record in records { print("\(record.at)  \(Compact.describe(record))") }
        }
    }
}
