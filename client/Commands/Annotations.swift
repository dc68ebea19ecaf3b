import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Annotations: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List annotations, of one article or all.",
            discussion: """
                Examples:
                  gloss annotations
                  gloss annotations 3f9a1c --label LOC
                """)

        @Argument(help: ArgumentHelp("Only this article's (id or unique prefix).", valueName: "article"))
        var article: String?

        @Option(help: "Only annotations with this tag.")
        var tag: String?

        @Option(help: "Only annotations with this label.")
        var label: String?

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let records = try options.openStore().annotations(articleID: article, tag: tag, label: label)
            if options.json {
                Terminal.printJSON(.array(records.map(\.json)))
                return
            }
            guard !records.isEmpty else {
                print("No annotations.")
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
