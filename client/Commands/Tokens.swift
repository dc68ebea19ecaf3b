public import ArgumentParser
public import GlossCore
import GlossStore
import GlossCurl
import GlossSync

/// `--scope read|write|admin`.
extension Scope: ExpressibleByArgument {}

extension Gloss {
    struct Tokens: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the remote corpus's tokens (needs the remote's token to have scope admin).",
            discussion: """
                Examples:
                  gloss tokens list
                  gloss tokens create --user bora --scope read
                  gloss tokens revoke 7
                """,
            subcommands: [List.self, Create.self, Revoke.self],
            defaultSubcommand: List.self)

        /// The remote's administration, or a clear error when no remote is set.
        static func admin(_ options: GlobalOptions) throws -> RemoteAdmin {
            guard let remote = try options.openStore().remote() else { throw SyncError.noRemote }
            return RemoteAdmin(transport: try CurlTransport(baseURL: remote.url, cacert: remote.cacert), remote: remote)
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the corpus's tokens: id, user, scope, state (never secrets).",
                discussion: """
                    Example:
                      gloss tokens list --json
                    """)

            @OptionGroup var options: GlobalOptions

            func run() throws {
                let tokens = try Tokens.admin(options).tokens()
                if options.json {
                    Terminal.printJSON(.array(tokens.map(\.json)))
                    return
                }
                let rows = tokens.map { token -> [String] in
                    [String(token.id), token.user, token.scope.rawValue, token.revokedAt.map { "revoked \($0)" } ?? "active"]
                }
                print(Terminal.table([["id", "user", "scope", "state"]] + rows))
            }
        }

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a token for the corpus and print it once.",
                discussion: """
                    Give it to the person it is for; they run
                      gloss remote set URL --corpus NAME --token TOKEN

                    Example:
                      gloss tokens create --user bora --scope read
                    """)

            @Option(help: "The user it acts as (recorded as the author of what it pushes).")
            var user: String

            @Option(help: "read (pull), write (push and pull) or admin (also manage tokens).")
            var scope: Scope = .write

            @OptionGroup var options: GlobalOptions

            func run() throws {
                let token = try Tokens.admin(options).createToken(user: user, scope: scope)
                if options.json {
                    Terminal.printJSON(token.json)
                } else {
                    print(token.secret ?? "")
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a token: every later request with it is refused.",
                discussion: """
                    Example:
                      gloss tokens revoke 7
                    """)

            @Argument(help: ArgumentHelp("The token's id, from 'gloss tokens list'.", valueName: "id"))
            var id: Int64

            @OptionGroup var options: GlobalOptions

            func run() throws {
                let token = try Tokens.admin(options).revokeToken(id: id)
                if options.json {
                    Terminal.printJSON(token.json)
                } else {
                    print("Revoked token \(id) of \(token.user)")
                }
            }
        }
    }
}
