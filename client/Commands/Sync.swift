import ArgumentParser
import Foundation
import GlossCore
import GlossStore
import GlossCurl
import GlossSync

extension Gloss {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push local changes to the server, then pull everything new.",
            discussion: """
                Progress goes to stderr; the summary line (pushed, pulled, new conflicts) to stdout. \
                An interrupted sync resumes where it stopped; nothing is lost or duplicated. \
                With --watch it keeps syncing until interrupted (Ctrl-C): a long poll stays open \
                for the server's changes while local edits (from any gloss process on this \
                replica) are looked for every 0.2 s and pushed at once; one line per round that moved something; \
                a server that is down is retried with growing pauses.

                The first sync of an empty replica starts from the server's snapshot of the \
                corpus when it has one (a ready replica, checked before it is used, then \
                the changes after it are pulled), which is much faster than replaying the \
                whole log and gives the same replica; --no-snapshot replays the log. A \
                snapshot that fails a check is refused, with one line saying why, and the \
                log is replayed instead.

                When the server has compacted history this replica has not pulled (it was \
                retired after a long silence, or restored from an old copy), the server \
                refuses it and the sync rebuilds the replica from the current state by \
                itself: its unpushed changes are made again on top of what it now sees (an \
                edit of something deleted meanwhile shows as a conflict), and one line says \
                so. --compact drops local history below the server's compaction floor after \
                the sync (see 'gloss compact').

                Examples:
                  gloss sync
                  gloss sync --watch
                  gloss sync --watch --interval 30 --json
                  gloss sync --no-snapshot
                  gloss sync --compact
                """)

        @Flag(help: "Keep syncing until interrupted.")
        var watch = false

        @Option(help: ArgumentHelp("With --watch: seconds each long poll waits on the server (1 to 60).", valueName: "seconds"))
        var interval = 25

        @Flag(help: "Push and pull everything again from the start (nothing is duplicated).")
        var full = false

        @Flag(help: "On a first sync, replay the server's whole log instead of starting from its snapshot.")
        var noSnapshot = false

        @Flag(help: "After each sync, drop local history below the server's compaction floor (see 'gloss compact').")
        var compact = false

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard (1...60).contains(interval) else { throw ArgumentParser.ValidationError("--interval must be from 1 to 60 seconds") }
        }

        func run() async throws {
            let store = try options.openStore()
            let showProgress = !options.json
            var syncOptions = SyncOptions()
            syncOptions.useSnapshot = !noSnapshot
            syncOptions.compactAfterSync = compact
            syncOptions.progress = { report in
                if showProgress, report.pushed + report.pulled >= 1_000 {
                    Terminal.note("sync: pushed \(report.pushed), pulled \(report.pulled)")
                }
            }
            let session = SyncSession(store: store, options: syncOptions) { remote throws(TransportError) in
                try CurlTransport(baseURL: remote.url, cacert: remote.cacert)
            }
            guard watch else {
                show(try await session.sync(full: full))
                return
            }
            if full { try store.startOver() }
            for try await event in session.live(wait: interval) {
                switch event {
                case .synced(let report): show(report)
                // Watching rides out a server that is down or failing: say so; it retries.
                case .retrying(let error, let delay):
                    Terminal.note("gloss: \(CLIMessage.describe(error)); trying again in \(PlainFormat.fixed(delay, digits: 0))s")
                }
            }
        }

        /// Prints what a sync (or a live round that moved something) did.
        func show(_ report: SyncReport) {
            if options.json {
                Terminal.line(CanonicalJSON.string([
                    "pushed": .int(Int64(report.pushed)), "pulled": .int(Int64(report.pulled)),
                    "applied": .int(Int64(report.applied)), "newConflicts": .int(Int64(report.newConflicts)),
                    "requests": .int(Int64(report.requests)), "seconds": .double(report.seconds),
                    "restarted": .bool(report.restarted), "snapshot": Self.json(report.snapshot),
                    "rebuild": Self.json(report.rebuild), "compaction": Self.json(report.compaction),
                ]))
                return
            }
            let rate = report.seconds > 0 ? Double(report.pushed + report.pulled) / report.seconds : 0
            if report.pushed + report.pulled >= 1_000 { Terminal.note("sync: \(PlainFormat.fixed(rate, digits: 0)) changes/s") }
            if let snapshot = report.snapshot {
                if snapshot.used, let position = snapshot.position {
                    let megabytes = PlainFormat.fixed(Double(snapshot.bytes ?? 0) / 1_048_576, digits: 1)
                    Terminal.note(
                        "sync: started from the server's snapshot at position \(position) "
                            + "(\(snapshot.changes ?? 0) changes, \(megabytes) MB), then pulled what came after it")
                } else if let reason = snapshot.reason, reason != SnapshotReport.noSnapshot {
                    Terminal.note("sync: did not use the server's snapshot (\(reason)); replayed the log instead")
                }
            }
            if let rebuild = report.rebuild {
                Terminal.note("sync: " + rebuild.summary)
            }
            if case .compacted(let record)? = report.compaction, record.dropped > 0 {
                Terminal.note("sync: " + Compact.describe(record))
            }
            if report.restarted {
                Terminal.note("sync: the server was restored from a backup; pulled everything again from the start")
            }
            Terminal.line(report.summary)
            if report.newConflicts > 0 { Terminal.line("see them with 'gloss conflicts'") }
        }

        /// `{"used": …, "position", "changes", "bytes"}` or `{"used": false, "reason"}`;
        /// `null` when the sync did not compact.
        static func json(_ compaction: CompactionOutcome?) -> JSONValue {
            switch compaction {
            case nil: return .null
            case .compacted(let record)?: return record.json
            case .nothingStable(let reason)?: return ["dropped": 0, "reason": .string(reason)]
            }
        }

        /// `null` when the sync did not rebuild the replica.
        static func json(_ rebuild: RebuildReport?) -> JSONValue {
            guard let rebuild else { return .null }
            var object: [String: JSONValue] = ["reason": .string(rebuild.reason), "carried": .int(Int64(rebuild.carried))]
            if let previous = rebuild.previousReplica { object["previousReplica"] = .string(previous.description) }
            if let replica = rebuild.replica { object["replica"] = .string(replica.description) }
            if let outcome = rebuild.outcome {
                object["madeAgain"] = .int(Int64(outcome.madeAgain))
                object["besideConcurrent"] = .int(Int64(outcome.besideConcurrent))
                object["withConflicts"] = .int(Int64(outcome.withConflicts))
                object["unchanged"] = .int(Int64(outcome.unchanged))
            }
            return .object(object)
        }

        /// `null` when the sync did not look for one (the replica held data, --no-snapshot).
        static func json(_ snapshot: SnapshotReport?) -> JSONValue {
            guard let snapshot else { return .null }
            var object: [String: JSONValue] = ["used": .bool(snapshot.used)]
            if let position = snapshot.position { object["position"] = .int(position) }
            if let changes = snapshot.changes { object["changes"] = .int(changes) }
            if let bytes = snapshot.bytes { object["bytes"] = .int(bytes) }
            if let reason = snapshot.reason { object["reason"] = .string(reason) }
            return .object(object)
        }
    }
}
