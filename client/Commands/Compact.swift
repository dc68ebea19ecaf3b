import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop local history every replica has moved past, and reclaim the file's space.",
            discussion: """
                A version of an article or annotation is dropped when a newer version of it \
                supersedes it and every active replica has seen that newer one: the server says \
                so with its compaction floor, which each sync records. What each entry shows \
                does not change, and no merge can need what went. Entries with an open \
                conflict keep their whole history, and changes not yet pushed are never \
                dropped. The log stays append-only everywhere else; each compaction is \
                recorded ('gloss log --compactions').

                A replica that never synced, or has not completed a sync since the server \
                compacted, has nothing known to be stable: it says so and keeps everything. 'gloss sync --compact' compacts after each sync (without \
                rewriting the file).

                Example:
                  gloss compact
                  gloss compact --json
                """)

        @Flag(help: "Keep the freed pages in the file for later writes instead of rewriting it.")
        var noReclaim = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let outcome = try options.openStore().compact(reclaimingSpace: !noReclaim)
            switch outcome {
            case .compacted(let record):
                if options.json {
                    Terminal.printJSON(.object(["compacted": true, "compaction": record.json]))
                } else {
                    print(Self.describe(record))
                }
            case .nothingStable(let reason):
                if options.json {
                    Terminal.printJSON(["compacted": false, "reason": .string(reason)])
                } else {
                    print("nothing dropped: \(reason)")
                }
            }
        }

        /// `dropped 412 changes below the server's floor 9000 (3 entries with open conflicts kept whole); 2.1 MB -> 0.8 MB`
        static func describe(_ record: CompactionRecord) -> String {
            func megabytes(_ bytes: Int64) -> String { PlainFormat.fixed(Double(bytes) / 1_048_576, digits: 1) + " MB" }
            var line = "dropped \(record.dropped) change\(record.dropped == 1 ? "" : "s") below the server's floor \(record.floor)"
            var kept: [String] = []
            if record.keptConcurrent > 0 {
                kept.append("\(record.keptConcurrent) entr\(record.keptConcurrent == 1 ? "y" : "ies") with concurrent versions kept whole")
            }
            if record.keptUnpushed > 0 {
                kept.append("\(record.keptUnpushed) change\(record.keptUnpushed == 1 ? "" : "s") not yet pushed kept: sync, then compact again")
            }
            if !kept.isEmpty { line += " (" + kept.joined(separator: "; ") + ")" }
            return line + "; \(megabytes(record.bytesBefore)) -> \(megabytes(record.bytesAfter))"
        }
    }
}
