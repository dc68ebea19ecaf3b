import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an article's text, with annotated spans highlighted on a terminal.",
            discussion: """
                Example:
                  gloss show 3f9a1c --annotations
                """)

        @Argument(help: ArgumentHelp("The article's id or a unique prefix (6+ characters).", valueName: "article"))
        var article: String

        @Flag(help: "List the article's annotations after its text.")
        var annotations = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let store = try options.openStore()
            let record = try store.article(article)
            let notes = try store.annotations(articleID: record.article.id)
            if options.json {
                guard case .object(var object) = record.json(includeText: true) else { return }
                if annotations { object["annotationList"] = .array(notes.map(\.json)) }
                Terminal.printJSON(.object(object))
                return
            }
            let value = record.article
            print(Terminal.bold(value.title.isEmpty ? value.id : value.title))
            var facts = ["id \(value.id)"]
            if let date = value.date { facts.append("date \(date)") }
            if let source = value.source { facts.append("source \(source)") }
            if !value.tags.isEmpty { facts.append("tags " + value.tags.joined(separator: ", ")) }
            facts.append("\(notes.count) annotation\(notes.count == 1 ? "" : "s")")
            print(Terminal.dim(facts.joined(separator: " · ")))
            if let conflicts = record.conflicts {
                print("conflict: " + ConflictText.summary(conflicts) + " (see 'gloss conflicts')")
            }
            print("")
            print(Terminal.styled ? Self.highlighted(value.text, notes) : value.text)
            if annotations, !notes.isEmpty {
                print(Terminal.bold("Annotations"))
                for note in notes where !note.isOrphaned { print(AnnotationText.line(note)) }
            }
            // Orphans have no place in this text; they are listed below it, always.
            let orphans = notes.filter(\.isOrphaned)
            if !orphans.isEmpty {
                print(Terminal.bold("Orphaned annotations") + Terminal.dim(" (their words are gone from this text; 'gloss annotate --reattach ID' places one again)"))
                for note in orphans { print(AnnotationText.line(note)) }
            }
        }

        /// The text with every annotated span underlined (overlaps merged).
        static func highlighted(_ text: String, _ notes: [AnnotationRecord]) -> String {
            let scalars = ScalarText(text)
            var marked = Array(repeating: false, count: scalars.count)
            for note in notes where !note.isOrphaned {
                guard let span = scalars.clamped(note.annotation.target.start, note.annotation.target.end) else { continue }
                for index in span { marked[index] = true }
            }
            var output = ""
            var index = 0
            while index < scalars.count {
                var end = index
                while end < scalars.count, marked[end] == marked[index] { end += 1 }
                let piece = scalars.slice(index, end)
                output += marked[index] ? Terminal.highlight(piece) : piece
                index = end
            }
            return output
        }
    }
}

/// How annotations print in text mode.
enum AnnotationText {
    static func line(_ record: AnnotationRecord) -> String {
        let annotation = record.annotation
        var parts = [
            Terminal.short(annotation.id), "\(annotation.target.start)..<\(annotation.target.end)",
            "“" + Terminal.truncate(annotation.target.exact, 40) + "”",
        ]
        if let label = annotation.label { parts.append("[\(label)]") }
        if !annotation.tags.isEmpty { parts.append(annotation.tags.map { "#" + $0 }.joined(separator: " ")) }
        if let note = annotation.note { parts.append("— " + Terminal.truncate(note, 60)) }
        if record.conflicts != nil { parts.append("[conflict]") }
        if record.isOrphaned { parts.append("[orphan]") }
        return parts.joined(separator: "  ")
    }
}
