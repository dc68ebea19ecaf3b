public import ArgumentParser
public import GlossCore
import GlossServer

extension Scope: ExpressibleByArgument {}

extension GlossServerCommand {
    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Create and list bearer tokens.",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a token and print it once; the server keeps only its hash.",
                discussion: """
                    Example:
                      gloss-server token create --corpus news --user ayse --scope write --data ./data
                    """)

            @Option(help: "The corpus the token is for.")
            var corpus: String

            @Option(help: "The user it acts as (recorded as the author of what it pushes).")
            var user: String

            @Option(help: "read (pull), write (push and pull) or admin.")
            var scope: Scope = .write

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let token = Tokens.generate()
                _ = try await storage.with { try await $0.createToken(corpus: corpus, user: user, scope: scope, hash: Tokens.hash(token)) }
                print(token)
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List tokens (never their secrets).",
                discussion: """
                    Example:
                      gloss-server token list --corpus news --data ./data
                    """)

            @Option(help: "Only this corpus's tokens.")
            var corpus: String?

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                for token in try await storage.with({ try await $0.tokens(corpus: corpus) }) {
                    let state = token.revokedAt.map { "revoked \($0)" } ?? "active"
                    print("\(token.id)\t\(token.corpus)\t\(token.user)\t\(token.scope.rawValue)\t\(state)")
                }
            }
        }
    
        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a token: every later request with it is refused.",
                discussion: """
                    Example:
                      gloss-server token list --corpus news --data ./data
                      gloss-server token revoke 3 --data ./data
                    """)

            @Argument(help: ArgumentHelp("The token's id, from 'token list'.", valueName: "id"))
            var id: Int64

            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let token = try await storage.with { try await $0.revokeToken(id: id) }
                print("Revoked token \(token.id) of \(token.user) for corpus \(token.corpus)")
            }
        }
    }
}
