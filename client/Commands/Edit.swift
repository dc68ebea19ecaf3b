import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an annotation's note, tags, label or color (or an article's title and tags).",
            discussion: """
                On a conflicted entry only the fields you set are settled; the others keep all \
                their conflicting values until resolved (see 'gloss resolve'). An empty value \
                (--note "") removes the field.

                Examples:
                  gloss edit 01hx3k --note "the old city" --add-tag contested
                  gloss edit 3f9a1c --title "Musul operasyonu" --add-tag iraq
                """)

        @Argument(help: ArgumentHelp("The annotation's (or article's) id or a unique prefix.", valueName: "id"))
        var id: String

        @Option(help: "A new note (annotations).")
        var note: String?

        @Option(name: .customLong("add-tag"), help: "Add a tag (repeatable).")
        var addTags: [String] = []

        @Option(name: .customLong("remove-tag"), help: "Remove a tag (repeatable).")
        var removeTags: [String] = []

        @Option(help: "A new label (annotations).")
        var label: String?

        @Option(help: "A new color (annotations).")
        var color: String?

        @Option(help: "A new title (articles).")
        var title: String?

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard note != nil || !addTags.isEmpty || !removeTags.isEmpty || label != nil || color != nil || title != nil else {
                throw ArgumentParser.ValidationError(
                    "nothing to change: give at least one of --note, --add-tag, --remove-tag, --label, --color, --title")
            }
        }

        func run() throws {
            let store = try options.openStore()
            let (kind, fullID) = try store.resolveID(id)
            switch kind {
            case .article:
                guard note == nil, label == nil, color == nil else {
                    throw CLIError.wrongKind(id: fullID, expected: "an article", options: "articles take --title, --add-tag and --remove-tag")
                }
                let article = try store.editArticle(fullID, title: title, addTags: addTags, removeTags: removeTags)
                if options.json { Terminal.printJSON(try store.article(article.id).json(includeText: false)) } else { print("Edited article \(article.id)") }
            case .annotation:
                guard title == nil else {
                    throw CLIError.wrongKind(id: fullID, expected: "an annotation", options: "--title is for articles")
                }
                let outcome = try store.editAnnotation(
                    fullID, AnnotationEdit(note: note, addTags: addTags, removeTags: removeTags, label: label, color: color))
                if options.json {
                    guard case .object(var object) = try store.annotation(fullID).json else { return }
                    object["settled"] = .array(outcome.settled.map { .string($0) })
                    object["stillConflicted"] = .array(outcome.stillConflicted.map { .string($0) })
                    Terminal.printJSON(.object(object))
                } else {
                    print("Edited annotation \(fullID)")
                    if !outcome.settled.isEmpty { print("settled the conflict on: \(outcome.settled.joined(separator: ", "))") }
                    if !outcome.stillConflicted.isEmpty {
                        print("still conflicted: \(outcome.stillConflicted.joined(separator: ", ")) (see 'gloss conflicts')")
                    }
                }
            }
        }
    }
}
