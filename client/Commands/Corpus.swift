import ArgumentParser
import GlossCore
import GlossStore
import GlossSync

extension Gloss {
    struct Corpus: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the remote corpus, or delete it on the server (scope admin).",
            discussion: """
                Examples:
                  gloss corpus info
                  gloss corpus delete news
                """,
            subcommands: [Info.self, Delete.self],
            defaultSubcommand: Info.self)

        struct Info: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show the remote corpus: its size, and this token's user and scope.",
                discussion: """
                    Also a quick check that the URL, corpus and token of 'gloss remote set' work.

                    Example:
                      gloss corpus info --json
                    """)

            @OptionGroup var options: GlobalOptions

            func run() throws {
                let summary = try Tokens.admin(options).summary()
                if options.json {
                    Terminal.printJSON(summary.json)
                    return
                }
                print(
                    Terminal.table([
                        ["corpus", summary.name],
                        ["changes", String(summary.changes)],
                        ["created", summary.createdAt],
                        ["you", "\(summary.user) (scope \(summary.scope))"],
                    ]))
            }
        }

        struct Delete: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Delete the remote corpus on the server, with every change in it.",
                discussion: """
                    Give the corpus's name as confirmation. This replica keeps its own copy.

                    Example:
                      gloss corpus delete news
                    """)

            @Argument(help: ArgumentHelp("The remote corpus's name, typed again as confirmation.", valueName: "name"))
            var name: String

            @OptionGroup var options: GlobalOptions

            func run() throws {
                guard let remote = try options.openStore().remote() else { throw SyncError.noRemote }
                guard remote.corpus == name else { throw CLIError.confirmationMismatch(expected: remote.corpus, given: name) }
                let answer = try Tokens.admin(options).deleteCorpus()
                if options.json {
                    Terminal.printJSON(answer.json)
                } else {
                    print("Deleted corpus \(name) on \(remote.url) (\(answer.changes) changes); this replica keeps its copy")
                }
            }
        }
    }
}
