import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import seed-format .txt articles, folders of them, or a JSONL export.",
            discussion: """
                A .txt file starts with ' date YYYY-MM ' and the lead sentence, then paragraphs \
                separated by blank lines; its text is kept exactly. Folders are read recursively \
                (.txt and .jsonl files); a bad file inside a folder is skipped with its reason, a bad \
                file named here stops the import before anything is written. The same article \
                imported twice is one article.

                Examples:
                  gloss import examples/corpus/musul-2016-12.txt
                  gloss import examples/corpus/
                  gloss import corpus/ other.jsonl
                """)

        @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
        var paths: [String]

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let store = try options.openStore()
            // Reads every file once to check it (nothing is written if a named one is bad),
            // then again as a stream while writing: memory follows the batch, not the files.
            let source = try ImportSource.scan(paths: paths)
            let total = source.itemCount
            let showProgress = total > GlossDatabase.importBatchSize
            let summary = try store.importItems(from: source) { progress in
                if showProgress { Terminal.note("import: \(progress.items)/\(progress.totalItems) items") }
            }
            for skip in source.skipped { Terminal.note("skipped \(skip.path): \(skip.reason)") }
            for skip in summary.skipped { Terminal.note("skipped \(skip.item): \(skip.reason)") }
            let skipped = source.skipped.count + summary.skipped.count
            if options.json {
                Terminal.printJSON([
                    "articles": .int(Int64(summary.articlesImported)), "annotations": .int(Int64(summary.annotationsImported)),
                    "updated": .int(Int64(summary.updated)), "unchanged": .int(Int64(summary.unchanged)),
                    "skipped": .array(
                        source.skipped.map { ["item": .string($0.path), "reason": .string($0.reason)] }
                            + summary.skipped.map { ["item": .string($0.item), "reason": .string($0.reason)] }),
                    "files": .int(Int64(source.files.count)),
                ])
            } else {
                print(
                    "imported \(summary.articlesImported) article\(summary.articlesImported == 1 ? "" : "s"), "
                        + "\(summary.annotationsImported) annotation\(summary.annotationsImported == 1 ? "" : "s"); "
                        + "\(summary.updated) updated, \(summary.unchanged) unchanged, \(skipped) skipped")
            }
        }
    }
}
