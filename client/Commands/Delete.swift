import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an annotation, or an article with --article.",
            discussion: """
                Deleting an article hides its annotations but never deletes them. The log keeps \
                every version, so nothing is lost.

                Examples:
                  gloss delete 01hx3k
                  gloss delete --article 3f9a1c
                """)

        @Argument(help: ArgumentHelp("The annotation's id or a unique prefix.", valueName: "annotation"))
        var annotation: String?

        @Option(help: ArgumentHelp("Delete this article instead (id or unique prefix).", valueName: "article"))
        var article: String?

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard (annotation == nil) != (article == nil) else {
                throw ArgumentParser.ValidationError("give an annotation id, or --article ID, but not both")
            }
        }

        func run() throws {
            let store = try options.openStore()
            let kind = article == nil ? "annotation" : "article"
            let id = try article.map { try store.deleteArticle($0) } ?? store.deleteAnnotation(annotation!)
            if options.json {
                Terminal.printJSON(["deleted": .string(id), "kind": .string(kind)])
            } else {
                print("Deleted \(kind) \(id)")
            }
        }
    }
}
