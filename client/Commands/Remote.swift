import ArgumentParser
import Foundation
import GlossCore
import GlossStore

extension Gloss {
    struct Remote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set or show the server this replica syncs with.",
            discussion: """
                Examples:
                  gloss remote set http://127.0.0.1:8080 --corpus news --token gloss_3f…
                  gloss remote show
                """,
            subcommands: [Set.self, Show.self],
            defaultSubcommand: Show.self)

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set the server, corpus and token to sync with.",
                discussion: """
                    Changing the server or corpus starts the sync over (everything is pushed and \
                    pulled again; nothing is duplicated).

                    Example:
                      gloss remote set http://127.0.0.1:8080 --corpus news --token gloss_3f…
                    """)

            @Argument(help: ArgumentHelp("The server's URL (http:// or https://).", valueName: "url"))
            var url: String

            @Option(help: "The corpus on the server.")
            var corpus: String

            @Option(help: "The bearer token from 'gloss-server token create'.")
            var token: String

            @Option(help: ArgumentHelp("A PEM file of CA certificates to trust for this server.", valueName: "file"))
            var cacert: String?

            @OptionGroup var options: GlobalOptions

            func validate() throws {
                guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
                    parsed.host != nil
                else { throw ArgumentParser.ValidationError("'\(url)' is not an http:// or https:// URL") }
                guard !corpus.isEmpty, !token.isEmpty else { throw ArgumentParser.ValidationError("--corpus and --token must not be empty") }
                if let cacert, !FileManager.default.fileExists(atPath: cacert) {
                    throw ArgumentParser.ValidationError("--cacert \(cacert) does not exist")
                }
            }

            func run() throws {
                let store = try options.openStore()
                let cacertPath = cacert.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                try store.setRemote(url: url, corpus: corpus, token: token, cacert: cacertPath)
                if options.json {
                    Terminal.printJSON(["url": .string(url), "corpus": .string(corpus)])
                } else {
                    print("Remote set: \(url), corpus \(corpus); run 'gloss sync' to sync")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show the remote (never the token).",
                discussion: """
                    Example:
                      gloss remote show --json
                    """)

            @OptionGroup var options: GlobalOptions

            func run() throws {
                guard let remote = try options.openStore().remote() else {
                    if options.json { Terminal.printJSON(.null) } else { print("No remote; set one with 'gloss remote set URL --corpus NAME --token TOKEN'.") }
                    return
                }
                if options.json {
                    Terminal.printJSON(RemoteJSON.json(remote))
                } else {
                    print("\(remote.url)  corpus \(remote.corpus)" + (remote.cacert.map { "  cacert \($0)" } ?? ""))
                }
            }
        }
    }
}

enum RemoteJSON {
    static func json(_ remote: RemoteState) -> JSONValue {
        var object: [String: JSONValue] = [
            "url": .string(remote.url), "corpus": .string(remote.corpus), "cursor": .int(remote.cursor),
            "pushedSeq": .int(Int64(remote.pushedSeq)),
        ]
        if let cacert = remote.cacert { object["cacert"] = .string(cacert) }
        if let at = remote.lastSyncAt { object["lastSyncAt"] = .string(at) }
        if let result = remote.lastResult { object["lastResult"] = .string(result) }
        return .object(object)
    }
}
