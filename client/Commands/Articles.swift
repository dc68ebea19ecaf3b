import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Articles: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the articles in the corpus.",
            discussion: """
                Example:
                  gloss articles --tag iraq
                """)

        @Option(help: "Only articles with this tag.")
        var tag: String?

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let records = try options.openStore().articles(tag: tag)
            if options.json {
                Terminal.printJSON(.array(records.map { $0.json(includeText: false) }))
                return
            }
            guard !records.isEmpty else {
                print(tag == nil ? "No articles yet; add some with 'gloss import PATH'." : "No articles tagged \(tag!).")
                return
            }
            var rows = [["ID", "DATE", "NOTES", "TITLE"]]
            for record in records {
                let mark = record.conflicts == nil ? "" : " [conflict]"
                rows.append([
                    Terminal.short(record.article.id), record.article.date ?? "-", String(record.annotationCount),
                    Terminal.truncate(record.article.title, 70) + mark,
                ])
            }
            print(Terminal.table(rows))
        }
    }
}
