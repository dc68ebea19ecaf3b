import ArgumentParser
import Foundation
import GlossCore
import GlossServer

extension GlossServerCommand {
    struct SnapshotCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snapshot",
            abstract: "Build and list corpus snapshots: ready replica files new replicas download.",
            discussion: """
                A snapshot holds every change of a corpus up to a position, applied as a pull \
                applies them; a new replica downloads it (GET /v1/corpora/NAME/snapshot) and pulls \
                only what came after. 'serve --snapshot-every N' also builds them as corpora grow.

                Example:
                  gloss-server snapshot create --corpus news --data ./data
                  gloss-server snapshot list --data ./data
                """,
            subcommands: [Create.self, List.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Build a corpus's snapshot at its latest position (works while servers run).",
                discussion: """
                    Starts from the corpus's previous snapshot when there is one (only later changes \
                    are applied), and replaces it in one short transaction: a download in flight \
                    finishes or fails, never mixes two files. Does nothing when the latest snapshot \
                    is up to date. Prints the position, the changes it holds, its size and the time taken.

                    Example:
                      gloss-server snapshot create --corpus news --data ./data
                      gloss-server snapshot create --corpus news --postgres postgres://gloss:secret@127.0.0.1/gloss --json
                    """)

            @Option(help: ArgumentHelp("The corpus to snapshot.", valueName: "name"))
            var corpus: String

            @Flag(help: "Print the result as JSON.")
            var json = false

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let outcome = try await storage.with { try await SnapshotMaker.build(storage: $0, corpus: corpus) }
                let snapshot = outcome.snapshot
                let seconds = (outcome.seconds * 1000).rounded() / 1000
                if json {
                    let object: JSONValue = .object([
                        "corpus": .string(snapshot.corpus), "position": .int(snapshot.position),
                        "changes": .int(snapshot.changes), "bytes": .int(snapshot.size),
                        "sha256": .string(snapshot.sha256), "epoch": .string(snapshot.epoch), "built": .bool(outcome.built),
                        "incremental": .bool(outcome.incremental), "applied": .int(outcome.applied),
                        "seconds": .double(seconds),
                    ])
                    print(CanonicalJSON.string(object))
                } else if outcome.built {
                    print(
                        "Built the snapshot of \(snapshot.corpus) at position \(snapshot.position): \(snapshot.changes) changes, "
                            + "\(snapshot.size) bytes, in \(seconds) s"
                            + (outcome.incremental ? " (\(outcome.applied) changes applied to the previous one)" : ""))
                } else {
                    print("The snapshot of \(snapshot.corpus) is up to date at position \(snapshot.position): \(snapshot.changes) changes, \(snapshot.size) bytes")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the corpora's snapshots: position, changes, size, SHA-256, when built.",
                discussion: """
                    Example:
                      gloss-server snapshot list --data ./data
                    """)

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                for snapshot in try await storage.with({ try await $0.snapshots() }) {
                    print(
                        "\(snapshot.corpus)\tposition \(snapshot.position)\t\(snapshot.changes) changes\t\(snapshot.size) bytes"
                            + "\tsha256 \(snapshot.sha256)\tbuilt \(snapshot.createdAt)")
                }
            }
        }
    }
}
