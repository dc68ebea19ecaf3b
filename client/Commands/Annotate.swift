import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Annotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Annotate a span of an article, found by quote or by offsets.",
            discussion: """
                Offsets count Unicode scalars of the NFC text (as Python's str does), end exclusive. \
                A quote must occur exactly once, or be chosen with --occurrence N.

                --reattach ID places an existing annotation on its article's current text instead \
                (an orphan, say, whose words a correction removed: see 'gloss annotations --orphans'); \
                its note, tags and other fields stay.

                Examples:
                  gloss annotate 3f9a1c --quote "Musul" --occurrence 2 --label LOC --tag city
                  gloss annotate 3f9a1c --start 14 --end 18 --note "the country"
                  gloss annotate --reattach 01hx3k --quote "Musul'un doğusunda"
                """)

        @Argument(help: ArgumentHelp("The article's id or a unique prefix (not with --reattach).", valueName: "article"))
        var article: String?

        @Option(help: ArgumentHelp("Place this existing annotation (id or unique prefix) on its article's current text.", valueName: "id"))
        var reattach: String?

        @Option(help: "The exact text to annotate.")
        var quote: String?

        @Option(help: "Which occurrence of the quote (1 = first), when it occurs more than once.")
        var occurrence: Int?

        @Option(help: "Start offset (Unicode scalars, inclusive).")
        var start: Int?

        @Option(help: "End offset (Unicode scalars, exclusive).")
        var end: Int?

        @OptionGroup var fields: AnnotationFieldOptions

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            switch (quote, start, end) {
            case (.some, nil, nil): break
            case (nil, .some, .some): break
            case (nil, nil, nil): throw ArgumentParser.ValidationError("give the span with --quote TEXT or with --start S --end E")
            case (.some, _, _): throw ArgumentParser.ValidationError("give either --quote or --start/--end, not both")
            default: throw ArgumentParser.ValidationError("--start and --end go together")
            }
            if occurrence != nil, quote == nil { throw ArgumentParser.ValidationError("--occurrence goes with --quote") }
            if let occurrence, occurrence < 1 { throw ArgumentParser.ValidationError("--occurrence counts from 1") }
            switch (article, reattach) {
            case (.some, nil): break
            case (nil, .some):
                guard fields.isEmpty else {
                    throw ArgumentParser.ValidationError("--reattach only moves the span; change its fields with 'gloss edit'")
                }
            case (nil, nil): throw ArgumentParser.ValidationError("name the article to annotate, or an annotation with --reattach ID")
            case (.some, .some): throw ArgumentParser.ValidationError("give either an article or --reattach ID, not both")
            }
        }

        func run() throws {
            let anchor: Anchor = quote.map { .quote($0, occurrence: occurrence) } ?? .range(start: start!, end: end!)
            let store = try options.openStore()
            if let reattach {
                let annotation = try store.reattach(reattach, anchor: anchor)
                if options.json {
                    Terminal.printJSON(try store.annotation(annotation.id).json)
                } else {
                    print(
                        "Reattached \(annotation.id): “\(Terminal.truncate(annotation.target.exact, 60))” "
                            + "at \(annotation.target.start)..<\(annotation.target.end)")
                }
                return
            }
            let annotation = try store.annotate(articleID: article!, anchor: anchor, fields: fields.values)
            if options.json {
                guard case .object(var object) = JSONValue.object(annotation.content) else { return }
                object["id"] = .string(annotation.id)
                object["type"] = "annotation"
                Terminal.printJSON(.object(object))
            } else {
                print(
                    "Annotated \(annotation.id): “\(Terminal.truncate(annotation.target.exact, 60))” "
                        + "at \(annotation.target.start)..<\(annotation.target.end)")
            }
        }
    }
}

/// The fields a new annotation can get.
struct AnnotationFieldOptions: ParsableArguments {
    @Option(help: "A note on the span.")
    var note: String?

    @Option(name: .customLong("tag"), help: "A tag (repeat for several).")
    var tags: [String] = []

    @Option(help: "A label such as PER, LOC, ORG or CLAIM.")
    var label: String?

    @Option(help: "A highlight color: #rgb, #rrggbb or a name such as yellow.")
    var color: String?

    var values: AnnotationFields { AnnotationFields(note: note, tags: tags, label: label, color: color) }

    /// Whether none of the fields was given.
    var isEmpty: Bool { note == nil && tags.isEmpty && label == nil && color == nil }
}
