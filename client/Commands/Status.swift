import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the replica: its id, what it holds, its changes and open conflicts.",
            discussion: """
                Example:
                  gloss status --json
                """)

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let status = try options.openStore().status()
            if options.json {
                Terminal.printJSON(status.json)
                return
            }
            print(
                Terminal.table([
                    ["replica", status.replica.id.description + (status.replica.name.map { " (\($0))" } ?? "")],
                    ["store", status.path],
                    ["articles", String(status.articles)],
                    ["annotations", String(status.annotations)],
                    ["changes", "\(status.changes) in the log, \(status.localChanges) made here"],
                    ["remote", "none configured: this replica works offline"],
                    ["conflicts", status.openConflicts == 0 ? "none" : "\(status.openConflicts) open (see 'gloss conflicts')"],
                ]))
        }
    }
}
