import ArgumentParser
import Foundation
import GlossCore
import GlossFileModes
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
        subcommands: [Serve.self, CorpusCommand.self, TokenCommand.self, Check.self, Backup.self, Restore.self, RenewEpochs.self, MigrateStorage.self, SnapshotCommand.self, ReplicasCommand.self, CompactCommand.self])

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

/// Where the server keeps its data: an embedded SQLite database in `--data DIR`, or a
/// PostgreSQL database shared by several servers (`--postgres URL`).
struct StorageOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The data folder of the embedded SQLite database (created if missing).", valueName: "dir"))
    var data: String = "./gloss-data"

    @Option(
        help: ArgumentHelp(
            "Use this PostgreSQL database instead of --data (default: $GLOSS_POSTGRES_URL), e.g. postgres://gloss:secret@127.0.0.1:5432/gloss.",
            valueName: "url"))
    var postgres: String?

    /// `--postgres`, else `$GLOSS_POSTGRES_URL`, else nil (embedded SQLite).
    var postgresURL: String? {
        if let postgres, !postgres.isEmpty { return postgres }
        let environment = ProcessInfo.processInfo.environment["GLOSS_POSTGRES_URL"]
        return environment?.isEmpty == false ? environment : nil
    }

    /// Opens the storage. Opening an SQLite data folder that other users could read
    /// tightens it, and `notice` gets one line saying so (by default, on stderr).
    func open(notice: (String) -> Void = Self.printNotice) async throws -> any Storage {
        guard let url = postgresURL else { return try openSQLite(notice: notice) }
        do {
            return try await PostgresStorage(url: url)
        } catch let error as StorageError {
            throw error
        } catch {
            throw ServerCommandError.cannotOpen(PostgresURLText.redacted(url), "\(error)")
        }
    }

    /// Opens the storage, runs `body` with it, and closes it.
    func with<T>(notice: (String) -> Void = Self.printNotice, _ body: (any Storage) async throws -> T) async throws -> T {
        let storage = try await open(notice: notice)
        do {
            let value = try await body(storage)
            await storage.shutdown()
            return value
        } catch {
            await storage.shutdown()
            throw error
        }
    }

    init() {}

    init(data: String, postgres: String?) {
        self.data = data
        self.postgres = postgres
    }

    /// The embedded SQLite storage (backups and restores are of its file).
    func openSQLite(notice: (String) -> Void = Self.printNotice) throws -> SQLiteStorage {
        guard postgresURL == nil else { throw ServerCommandError.sqliteOnly }
        return try openSQLiteIgnoringEnvironment(notice: notice)
    }

    /// The SQLite storage in `--data`, even when `$GLOSS_POSTGRES_URL` is set.
    func openSQLiteIgnoringEnvironment(notice: (String) -> Void = Self.printNotice) throws -> SQLiteStorage {
        let storage: SQLiteStorage
        do {
            storage = try SQLiteStorage(directory: data)
        } catch {
            throw ServerCommandError.cannotOpen(data, "\(error)")
        }
        if let line = LoosePermissions.notice(storage.loosePermissions) { notice(line) }
        return storage
    }

    /// One `gloss-server: note: …` line on stderr, for the admin commands.
    static func printNotice(_ line: String) {
        FileHandle.standardError.write(Data("gloss-server: note: \(line)\n".utf8))
    }
}

/// A PostgreSQL URL with its password hidden, for messages and logs.
enum PostgresURLText {
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}

/// Asks, on a terminal, for `expected` to be typed before something that cannot be undone.
/// Without a terminal it does not ask: the caller's `--yes` is the only way through.
enum Confirmation {
    static func typed(_ expected: String, prompt: String, otherwise refusal: ServerCommandError) throws {
        guard isatty(STDIN_FILENO) == 1 else { throw refusal }
        print(prompt, terminator: "")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == expected else { throw refusal }
    }
}

enum ServerCommandError: Error, CustomStringConvertible {
    case cannotOpen(String, String)
    /// How many problems, and what to do about them.
    case unhealthy(Int, String)
    case confirmationNeeded(String)
    case restoreNeedsConfirmation
    case sqliteOnly

    var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open the data folder \(path): \(reason); check the path and its permissions"
        case .confirmationNeeded(let name):
            return "not deleted: confirm by typing the corpus name, or run 'gloss-server corpus delete \(name) --yes'"
        case .sqliteOnly:
            return "backup and restore are of the embedded SQLite database; on PostgreSQL use pg_dump and pg_restore (docs/operations.md)"
        case .restoreNeedsConfirmation: return "not restored: confirm by typing 'restore', or run it with --yes"
        case .unhealthy(let count, let advice): return "\(count) problem\(count == 1 ? "" : "s") found (listed above); \(advice)"
        }
    }
}
