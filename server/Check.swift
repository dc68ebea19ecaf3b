import ArgumentParser
import GlossFileModes
import GlossServer

extension GlossServerCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the stored data: integrity, positions and seqs (gapless until compacted), readable changes.",
            discussion: """
                With --data it also reports the data folder or a database file that other users \
                could read or write; opening the folder has made them private (0700, 0600) by \
                then, so the next check passes, unless another user owns them.

                Example:
                  gloss-server check --data ./data
                """)

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            // Loose permissions are among the problems check() lists: no separate notice.
            let (problems, loose) = try await storage.with(notice: { _ in }) { storage in
                (try await storage.check(), (storage as? SQLiteStorage)?.loosePermissions ?? [])
            }
            for problem in problems { print("problem: \(problem)") }
            guard problems.isEmpty else { throw ServerCommandError.unhealthy(problems.count, Self.advice(problems, loose)) }
            print("ok")
        }

        /// What to do about the problems found.
        static func advice(_ problems: [String], _ loose: [LoosePermissions]) -> String {
            if problems.count > loose.count { return "restore the data folder from a backup" }
            if loose.allSatisfy(\.isTightened) { return "the data folder is private now; see the lines above for what was open to other users" }
            return "change the permissions named above"
        }
    }
}
