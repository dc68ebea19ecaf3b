import ArgumentParser
import GlossServer

extension GlossServerCommand {
    struct CorpusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "corpus",
            abstract: "Create and list corpora.",
            subcommands: [Create.self, List.self])

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
                let corpus = try await storage.open().createCorpus(name: name)
                print("Created corpus \(corpus.name)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List corpora with how many changes each holds.",
                discussion: """
                    Example:
                      gloss-server corpus list --data ./data
                    """)

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                for corpus in try await storage.open().corpora() {
                    print("\(corpus.name)\t\(corpus.changes) changes\tcreated \(corpus.createdAt)")
                }
            }
        }
    }
}
