import ArgumentParser
import Foundation
import GlossServer

/// `gloss-server`: the sync server. It stores every replica's changes, merges them into
/// each entity's frontier with vector clocks, and serves them back to every replica.
@main
struct GlossServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gloss-server",
        abstract: "Serve Gloss corpora for replicas to sync with.",
        discussion: """
            Quick start:
              gloss-server corpus create news --data ./data
              gloss-server token create --corpus news --user ayse --data ./data
              gloss-server serve --data ./data --port 8080

            Admin commands work while a server runs on the same --data.
            """,
        version: "gloss-server 0.1.0 (protocol \(GlossProtocol.version))",
        subcommands: [Serve.self, CorpusCommand.self, TokenCommand.self, Check.self, Backup.self, Restore.self])

    /// Exit codes as the client's: 0 success, 1 error (one line on stderr), 2 usage.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode { exit(withError: error) }
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            let message = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
            FileHandle.standardError.write(Data("gloss-server: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// Where the server keeps its data.
struct StorageOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The data folder (created if missing).", valueName: "dir"))
    var data: String = "./gloss-data"

    func open() throws -> any Storage {
        try openSQLite()
    }

    /// The embedded SQLite storage (backups and restores are of its file).
    func openSQLite() throws -> SQLiteStorage {
        do {
            return try SQLiteStorage(directory: data)
        } catch {
            throw ServerCommandError.cannotOpen(data, "\(error)")
        }
    }
}

enum ServerCommandError: Error, CustomStringConvertible {
    case cannotOpen(String, String)
    case unhealthy(Int)
    case confirmationNeeded(String)
    case restoreNeedsConfirmation

    var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open the data folder \(path): \(reason); check the path and its permissions"
        case .confirmationNeeded(let name):
            return "not deleted: confirm by typing the corpus name, or run 'gloss-server corpus delete \(name) --yes'"
        case .restoreNeedsConfirmation: return "not restored: confirm by typing 'restore', or run it with --yes"
        case .unhealthy(let count): return "\(count) problem\(count == 1 ? "" : "s") found (listed above); restore the data folder from a backup"
        }
    }
}
