import ArgumentParser
import GlossServer

extension GlossServerCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the stored data: integrity, gapless positions and seqs, readable changes.",
            discussion: """
                Example:
                  gloss-server check --data ./data
                """)

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let problems = try await storage.with { try await $0.check() }
            for problem in problems { print("problem: \(problem)") }
            guard problems.isEmpty else { throw ServerCommandError.unhealthy(problems.count) }
            print("ok")
        }
    }
}
