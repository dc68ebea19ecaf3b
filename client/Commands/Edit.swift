import ArgumentParser
import Foundation
import GlossCore
import GlossStore

extension Gloss {
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an annotation's note, tags, label or color (or an article's title, tags or text).",
            discussion: """
                On a conflicted entry only the fields you set are settled; the others keep all \
                their conflicting values until resolved (see 'gloss resolve'). An empty value \
                (--note "") removes the field.

                --text-from corrects an article's text (a file, or - for standard input; UTF-8, \
                normalized like an import). Its annotations then follow their words; one whose \
                words are gone becomes an orphan ('gloss annotations --orphans'). Corrections \
                made concurrently on two replicas merge when they touch different places and \
                conflict when they overlap.

                Examples:
                  gloss edit 01hx3k --note "the old city" --add-tag contested
                  gloss edit 3f9a1c --title "Musul operasyonu" --add-tag iraq
                  gloss edit 3f9a1c --text-from corrected.txt
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

        @Option(
            name: .customLong("text-from"),
            help: ArgumentHelp("The article's corrected text, from a file or - for standard input (articles).", valueName: "file"))
        var textFrom: String?

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard note != nil || !addTags.isEmpty || !removeTags.isEmpty || label != nil || color != nil || title != nil
                || textFrom != nil
            else {
                throw ArgumentParser.ValidationError(
                    "nothing to change: give at least one of --note, --add-tag, --remove-tag, --label, --color, --title, --text-from")
            }
        }

        func run() throws {
            let store = try options.openStore()
            let (kind, fullID) = try store.resolveID(id)
            switch kind {
            case .article:
                guard note == nil, label == nil, color == nil else {
                    throw CLIError.wrongKind(
                        id: fullID, expected: "an article", options: "articles take --title, --add-tag, --remove-tag and --text-from")
                }
                let text = try textFrom.map(Self.readText)
                let article = try store.editArticle(fullID, title: title, addTags: addTags, removeTags: removeTags, text: text)
                let orphans = text == nil ? 0 : try store.annotations(articleID: article.id, orphansOnly: true).count
                if options.json {
                    guard case .object(var object) = try store.article(article.id).json(includeText: false) else { return }
                    if text != nil { object["orphaned"] = .int(Int64(orphans)) }
                    Terminal.printJSON(.object(object))
                } else {
                    print(text == nil ? "Edited article \(article.id)" : "Corrected the text of article \(article.id)")
                    if orphans > 0 {
                        print("\(orphans) annotation\(orphans == 1 ? "'s words are" : "s' words are") gone from the text: see 'gloss annotations --orphans'")
                    }
                }
            case .annotation:
                guard title == nil, textFrom == nil else {
                    throw CLIError.wrongKind(id: fullID, expected: "an annotation", options: "--title and --text-from are for articles")
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

        /// A corrected text: a file's UTF-8 contents, or standard input's for `-`.
        static func readText(from path: String) throws -> String {
            let data: Data
            if path == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CLIError.cannotRead(path: path, reason: "it does not exist; check the path")
                }
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: path))
                } catch {
                    throw CLIError.cannotRead(path: path, reason: "\((error as NSError).localizedDescription); check its permissions")
                }
            }
            let name = path == "-" ? "standard input" : path
            guard let text = String(validating: data, as: UTF8.self) else {
                throw CLIError.cannotRead(path: name, reason: "it is not UTF-8 text; convert it (e.g. with iconv) and try again")
            }
            guard text.contains(where: { !$0.isWhitespace }) else {
                throw CLIError.cannotRead(path: name, reason: "it is empty; an article needs a text (to remove it, use 'gloss delete --article')")
            }
            return text
        }
    }
}
