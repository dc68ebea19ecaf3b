import ArgumentParser
import GlossCore
import GlossFileModes
import GlossStore

extension Gloss {
    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the store: rebuild derived state from the log in memory and compare.",
            discussion: """
                Exits 1 when anything differs or the log is damaged; --repair then rebuilds the \
                derived tables from the log (the log itself is never changed).

                It also exits 1 when the store file (or its -wal or -shm) was readable or \
                writable by other users: every command makes it 0600 when it opens the store, \
                but whoever could read it may hold the remote's token. The run that reports \
                this has already tightened it, so the next one passes. A file that belongs \
                to another user is left as it is and reported each time.

                Example:
                  gloss doctor
                """)

        @Flag(help: "Rebuild the derived tables from the log when they differ.")
        var repair = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            // The report lists loose permissions itself: no separate notice.
            let report = try options.openStore(noticeLoosePermissions: false).doctor(repair: repair)
            if options.json {
                Terminal.printJSON(report.json)
            } else if report.isHealthy {
                print("ok: \(report.changes) changes, \(report.entities) entries; derived state matches the log")
            } else {
                for problem in report.problems { print("problem: \(problem)") }
                if report.repaired { print("repaired: derived tables rebuilt from the log") }
            }
            // A store open to other users fails the run that finds it, --repair or not: the
            // mode is fixed by then, but what was read cannot be taken back.
            guard report.isHealthy || (report.repaired && report.loosePermissions.isEmpty) else {
                throw CLIError.unhealthy(problems: report.problems.count, advice: Self.advice(report))
            }
        }

        /// What to do about the problems left.
        static func advice(_ report: DoctorReport) -> String {
            if report.problems.count > report.loosePermissions.count, !report.repaired {
                return "run 'gloss doctor --repair' to rebuild derived state from the log"
            }
            if report.loosePermissions.allSatisfy(\.isTightened) {
                return "its files are private now; see the lines above for what was open to other users"
            }
            return "change the permissions named above"
        }
    }
}
