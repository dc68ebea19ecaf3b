import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Annotations: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List annotations, of one article or all.",
            discussion: """
                Each annotation shows where it sits on its article's current text: after a \
                correction of the text it follows its words; an annotation whose words are gone \
                is an orphan (marked, and "orphaned": true with --json), kept with its last \
                selector until placed again with 'gloss annotate --reattach'.

                Examples:
                  gloss annotations
                  gloss annotations 3f9a1c --label LOC
                  gloss annotations --orphans
                """)

        @Argument(help: ArgumentHelp("Only this article's (id or unique prefix).", valueName: "article"))
        var article: String?

        @Option(help: "Only annotations with this tag.")
        var tag: String?

        @Option(help: "Only annotations with this label.")
        var label: String?

        @Flag(help: "Only orphans: annotations whose words are gone from their article's corrected text.")
        var orphans = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let records = try options.openStore().annotations(articleID: article, tag: tag, label: label, orphansOnly: orphans)
            if options.json {
                Terminal.printJSON(.array(records.map(\.json)))
                return
            }
            guard !records.isEmpty else {
                print(orphans ? "No orphaned annotations." : "No annotations.")
                return
            }
            var current: String? = nil
            for record in records {
                if record.annotation.article != current, article == nil {
                    current = record.annotation.article
                    print(Terminal.dim("article \(record.annotation.article)"))
                }
                print(AnnotationText.line(record))
            }
        }
    }
}
