import ArgumentParser
import Foundation
import GlossCore
import GlossServer

extension GlossServerCommand {
    struct CompactCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compact",
            abstract: "Drop a corpus's superseded history below its horizon (works while servers run).",
            discussion: """
                The horizon is what every active replica has seen ('gloss-server replicas list'). \
                Compaction raises the corpus's floor to it, then drops each version at or below the \
                floor that a later version there supersedes. It keeps every version of an entity \
                with concurrent versions or an open conflict, versions above the floor, and \
                deletions. Positions are never reused. A replica behind the floor (retired, or \
                restored from an old copy) is refused with 410 resync_required and rebuilds from \
                the current state. Stopped at any point, it leaves a consistent store; the next \
                compaction finishes the job. 'serve --compact-every' compacts every corpus \
                periodically. On SQLite the file keeps its size: later changes reuse the space.

                Example:
                  gloss-server compact --corpus news --data ./data
                  gloss-server compact --corpus news --postgres postgres://gloss:secret@127.0.0.1/gloss --json
                """)

        @Option(help: ArgumentHelp("The corpus to compact.", valueName: "name"))
        var corpus: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let report = try await storage.with { try await $0.compact(corpus: corpus) }
            if json {
                print(CanonicalJSON.string(report.json))
            } else {
                print(report.summary.prefix(1).uppercased() + report.summary.dropFirst())
            }
        }
    }
}
