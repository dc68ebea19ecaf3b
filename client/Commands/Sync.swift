import ArgumentParser
import Foundation
import GlossCore
import GlossStore
import GlossSync

extension Gloss {
    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push local changes to the server, then pull everything new.",
            discussion: """
                Progress goes to stderr; the summary line (pushed, pulled, new conflicts) to stdout. \
                An interrupted sync resumes where it stopped; nothing is lost or duplicated. \
                With --watch it keeps syncing until interrupted (Ctrl-C).

                Examples:
                  gloss sync
                  gloss sync --watch --interval 5
                """)

        @Flag(help: "Keep syncing until interrupted.")
        var watch = false

        @Option(help: ArgumentHelp("With --watch: seconds each round waits for new changes on the server.", valueName: "seconds"))
        var interval = 5

        @Flag(help: "Push and pull everything again from the start (nothing is duplicated).")
        var full = false

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard (1...60).contains(interval) else { throw ArgumentParser.ValidationError("--interval must be from 1 to 60 seconds") }
        }

        func run() throws {
            let store = try options.openStore()
            guard let remote = try store.remote() else { throw SyncError.noRemote }
            if full { try store.startOver() }
            let transport = try CurlTransport(baseURL: remote.url, cacert: remote.cacert)
            let showProgress = !options.json
            var syncOptions = SyncOptions()
            syncOptions.progress = { report in
                if showProgress, report.pushed + report.pulled >= 1_000 {
                    Terminal.note("sync: pushed \(report.pushed), pulled \(report.pulled)")
                }
            }
            var round = 0
            repeat {
                round += 1
                let engine = SyncEngine(store: store, transport: transport, remote: remote, options: syncOptions)
                let report: SyncReport
                switch Result(catching: { () throws(SyncError) -> SyncReport in try engine.run() }) {
                case .success(let value): report = value
                case .failure(let error) where watch && error.isTransient:
                    // Watching rides out a server that is down or failing: say so and retry.
                    Terminal.note("gloss: \(error)")
                    Thread.sleep(forTimeInterval: Double(interval))
                    continue
                case .failure(let error): throw error
                }
                syncOptions.wait = watch ? interval : 0
                // While watching, rounds that moved nothing stay quiet.
                guard round == 1 || report.pushed + report.pulled > 0 else { continue }
                if options.json {
                    Terminal.line(CanonicalJSON.string([
                        "pushed": .int(Int64(report.pushed)), "pulled": .int(Int64(report.pulled)),
                        "applied": .int(Int64(report.applied)), "newConflicts": .int(Int64(report.newConflicts)),
                        "requests": .int(Int64(report.requests)), "seconds": .double(report.seconds),
                        "restarted": .bool(report.restarted),
                    ]))
                } else {
                    let rate = report.seconds > 0 ? Double(report.pushed + report.pulled) / report.seconds : 0
                    if report.pushed + report.pulled >= 1_000 { Terminal.note("sync: \(PlainFormat.fixed(rate, digits: 0)) changes/s") }
                    if report.restarted {
                        Terminal.note("sync: the server was restored from a backup; pulled everything again from the start")
                    }
                    Terminal.line(report.summary)
                    if report.newConflicts > 0 { Terminal.line("see them with 'gloss conflicts'") }
                }
            } while watch
        }
    }
}
