import ArgumentParser
import Foundation
import GlossCore
import GlossServer

extension GlossServerCommand {
    struct ReplicasCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replicas",
            abstract: "List a corpus's replicas with what each has seen, and retire ones that will not come back.",
            discussion: """
                The server records, for every replica that pushes to or pulls from a corpus, the \
                highest position it holds, its latest pushed change and when it was last seen. \
                The corpus's horizon is what every active replica has seen: history below it is \
                causally stable, and 'gloss-server compact' drops what later versions supersede there. \
                A retired replica no longer holds the horizon back; 'serve --retire-after' retires \
                silent ones. A retired replica that syncs again is active again.

                Example:
                  gloss-server replicas list --corpus news --data ./data
                  gloss-server replicas retire --corpus news 01HX3K5V8ZQ2W4M6N7P9R0S1T2 --data ./data
                """,
            subcommands: [List.self, Retire.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List a corpus's replicas: user, latest pushed change, position seen, last seen, retired.",
                discussion: """
                    Example:
                      gloss-server replicas list --corpus news --data ./data
                      gloss-server replicas list --corpus news --data ./data --json
                    """)

            @Option(help: ArgumentHelp("The corpus.", valueName: "name"))
            var corpus: String

            @Flag(help: "Print the result as JSON.")
            var json = false

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let report = try await storage.with { try await $0.replicaReport(corpus: corpus) }
                if json {
                    print(CanonicalJSON.string(report.json))
                    return
                }
                let active = report.replicas.filter(\.isActive).count
                print(
                    "Corpus \(report.corpus): latest position \(report.latestPosition), horizon \(report.horizon) "
                        + "(\(active) active of \(report.replicas.count) replicas)")
                // Tab-separated, as 'token list' prints: replica, user, latest pushed change,
                // position seen, last seen, state.
                for replica in report.replicas {
                    let pushed = replica.pushedSeq > 0 ? "\(replica.replica):\(replica.pushedSeq)" : "-"
                    let state = replica.retiredAt.map { "retired \($0)" } ?? "active"
                    print("\(replica.replica)\t\(replica.user)\t\(pushed)\tseen up to \(replica.pulledPosition)\tlast seen \(replica.lastSeenAt)\t\(state)")
                }
            }
        }

        struct Retire: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Retire a replica by hand (a lost device): it no longer holds the corpus's horizon back.",
                discussion: """
                    If it syncs again it becomes active again.

                    Example:
                      gloss-server replicas retire --corpus news 01HX3K5V8ZQ2W4M6N7P9R0S1T2 --data ./data
                    """)

            @Option(help: ArgumentHelp("The corpus.", valueName: "name"))
            var corpus: String

            @Argument(help: ArgumentHelp("The replica id, as 'replicas list' shows it.", valueName: "replica"))
            var replica: String

            @Flag(help: "Print the result as JSON.")
            var json = false

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let retired = try await storage.with { try await $0.retireReplica(corpus: corpus, replica: replica) }
                if json {
                    print(CanonicalJSON.string(retired.json))
                } else {
                    print("Retired replica \(retired.replica) of corpus \(corpus) (\(retired.user); last seen \(retired.lastSeenAt))")
                }
            }
        }
    }
}
