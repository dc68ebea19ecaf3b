import ArgumentParser
import CMallocArenas
import Foundation
import GlossCurl

/// `gloss`: the reference client. It keeps a replica of a corpus of articles and their
/// annotations in one SQLite file and works fully offline.
@main
struct Gloss: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "gloss",
        abstract: "Keep a corpus of articles and your annotations on them, offline, in sync.",
        discussion: """
            Each machine keeps a full replica in one SQLite file (--store, or $GLOSS_STORE, \
            or ~/.local/share/gloss/default.gloss). Every change is appended to the \
            replica's change log; ids may be given by any unique prefix of 6 or more characters.
            The store holds the remote's token: it is kept 0600 (readable by you alone).

            Environment: GLOSS_STORE (the store), XDG_DATA_HOME (where the default store \
            lives), NO_COLOR (when set and not empty, no colors, bold or underlines on a \
            terminal).

            Start with:
              gloss init --name ayşe
              gloss import examples/corpus/musul-2016-12.txt
              gloss articles
            """,
        version: "gloss \(version) (libcurl \(Libcurl.version))",
        subcommands: [
            Init.self, Import.self, Articles.self, Show.self, Annotate.self, Annotations.self, Edit.self,
            Delete.self, Search.self, Remote.self, Sync.self, Corpus.self, Tokens.self, Status.self, Conflicts.self, Resolve.self, Log.self,
            History.self, Restore.self, Compact.self, Export.self, Doctor.self,
        ])

    /// Runs the command, with the exit codes of design.md: 0 on success, 1 on an error
    /// (one line on stderr saying what to do), 2 on a usage error.
    static func main() async {
        // Referencing CMallocArenas links its load-time constructor (one malloc arena).
        _ = gloss_malloc_arena_limit()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exitOnError(error)
        }
    }

    static func exitOnError(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        if code == .success { Gloss.exit(withError: error) }  // --help, --version
        if error is ExitCode { Gloss.exit(withError: error) }
        if code == .validationFailure {
            // A usage error: ArgumentParser's message with the usage line.
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        Terminal.printError(CLIMessage.describe(error))
        Foundation.exit(1)
    }
}
