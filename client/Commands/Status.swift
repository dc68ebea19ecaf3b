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
            let store = try options.openStore()
            let status = try store.status()
            let remote = try store.remote()
            let unpushed = try store.unpushedCount()
            if options.json {
                guard case .object(var object) = status.json else { return }
                object["remote"] = remote.map(RemoteJSON.json) ?? .null
                object["unpushed"] = .int(Int64(unpushed))
                Terminal.printJSON(.object(object))
                return
            }
            let remoteLines: [[String]]
            if let remote {
                remoteLines = [
                    ["remote", "\(remote.url), corpus \(remote.corpus)"],
                    ["unpushed", "\(unpushed) change\(unpushed == 1 ? "" : "s")"],
                    ["cursor", String(remote.cursor)],
                    ["last sync", remote.lastSyncAt.map { "\($0): \(remote.lastResult ?? "")" } ?? "never"],
                ]
            } else {
                remoteLines = [["remote", "none: set one with 'gloss remote set URL --corpus NAME --token TOKEN'"]]
            }
            print(
                Terminal.table([
                    ["replica", status.replica.id.description + (status.replica.name.map { " (\($0))" } ?? "")],
                    ["store", status.path],
                    ["articles", String(status.articles)],
                    ["annotations", String(status.annotations)],
                    ["changes", "\(status.changes) in the log, \(status.localChanges) made here"],
                    ["conflicts", status.openConflicts == 0 ? "none" : "\(status.openConflicts) open (see 'gloss conflicts')"],
                ] + remoteLines))
        }
    }
}
