import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the store: rebuild derived state from the log in memory and compare.",
            discussion: """
                Exits 1 when anything differs or the log is damaged; --repair then rebuilds the \
                derived tables from the log (the log itself is never changed).

                Example:
                  gloss doctor
                """)

        @Flag(help: "Rebuild the derived tables from the log when they differ.")
        var repair = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let report = try options.openStore().doctor(repair: repair)
            if options.json {
                Terminal.printJSON(report.json)
            } else if report.isHealthy {
                print("ok: \(report.changes) changes, \(report.entities) entries; derived state matches the log")
            } else {
                for problem in report.problems { print("problem: \(problem)") }
                if report.repaired { print("repaired: derived tables rebuilt from the log") }
            }
            if !report.isHealthy, !report.repaired { throw CLIError.unhealthy(problems: report.problems.count) }
        }
    }
}
