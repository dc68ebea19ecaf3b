import ArgumentParser
import Foundation
import GlossCore
import GlossServer

extension GlossServerCommand {
    struct CorpusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "corpus",
            abstract: "Create and list corpora.",
            subcommands: [Create.self, List.self, Delete.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a corpus.",
                discussion: """
                    Example:
                      gloss-server corpus create news --data ./data
                    """)

            @Argument(help: ArgumentHelp("The corpus name: letters, digits, '-', '_', '.'.", valueName: "name"))
            var name: String

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let corpus = try await storage.with { try await $0.createCorpus(name: name) }
                print("Created corpus \(corpus.name)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List corpora with how many changes each stores, its latest position and its compaction floor.",
                discussion: """
                    A corpus never compacted stores as many changes as its latest position;                     compaction ('gloss-server compact') drops superseded versions below its floor.

                    Example:
                      gloss-server corpus list --data ./data
                      gloss-server corpus list --data ./data --json
                    """)

            @Flag(help: "Print the result as JSON.")
            var json = false

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let corpora = try await storage.with { try await $0.corpora() }
                if json {
                    let list: [JSONValue] = corpora.map { corpus in
                        .object([
                            "name": .string(corpus.name), "changes": .int(corpus.changes), "latestPosition": .int(corpus.latestPosition),
                            "floor": .int(corpus.floor), "createdAt": .string(corpus.createdAt),
                        ])
                    }
                    print(CanonicalJSON.string(.object(["corpora": .array(list)])))
                    return
                }
                for corpus in corpora {
                    print(
                        "\(corpus.name)\t\(corpus.changes) changes\tlatest position \(corpus.latestPosition)\tfloor \(corpus.floor)"
                            + "\tcreated \(corpus.createdAt)")
                }
            }
        }
    
        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Delete a corpus with all its changes, replicas and tokens.",
                discussion: """
                    There is no undo: replicas keep their own copies, but the server's are gone. \
                    Asks you to type the corpus name again, or give --yes.

                    Example:
                      gloss-server corpus delete news --data ./data --yes
                    """)

            @Argument(help: ArgumentHelp("The corpus to delete.", valueName: "name"))
            var name: String

            @Flag(help: "Do not ask for confirmation.")
            var yes = false

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                if !yes {
                    try Confirmation.typed(
                        name, prompt: "Type the corpus name (\(name)) to delete it and everything in it: ",
                        otherwise: .confirmationNeeded(name))
                }
                let corpus = try await storage.with { try await $0.deleteCorpus(name: name) }
                print("Deleted corpus \(corpus.name) and its \(corpus.changes) changes")
            }
        }
    }
}
