import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle a conflict: keep your values, theirs, one version's, or new ones.",
            discussion: """
                The resolution is a new version that supersedes every sibling, so once synced the \
                conflict ends on every replica. Field options (--note, --label, --color, --title) \
                set those fields directly and may be combined with a choice for the rest.

                Examples:
                  gloss resolve 01hx3k --mine
                  gloss resolve 01hx3k --pick 7QX2M9K4T1V8B3N6D5F0H2J4KA:3
                  gloss resolve 01hx3k --note "both readings are fair"
                """)

        @Argument(help: ArgumentHelp("The conflicted annotation's or article's id or unique prefix.", valueName: "id"))
        var id: String

        @Flag(help: "Keep this replica's values.")
        var mine = false

        @Flag(help: "Keep the other replica's values.")
        var theirs = false

        @Option(help: ArgumentHelp("Keep one version's values (REPLICA:SEQ or a unique prefix; see 'gloss conflicts').", valueName: "version"))
        var pick: String?

        @Option(help: "Set the note.")
        var note: String?

        @Option(help: "Set the label.")
        var label: String?

        @Option(help: "Set the color.")
        var color: String?

        @Option(help: "Set the title (articles).")
        var title: String?

        @OptionGroup var options: GlobalOptions

        var overrides: [String: JSONValue?] {
            var result: [String: JSONValue?] = [:]
            for (field, value) in [("note", note), ("label", label), ("color", color), ("title", title)] {
                if let value { result[field] = value.isEmpty ? .some(nil) : .string(UnicodeNormalization.nfc(value)) }
            }
            return result
        }

        func validate() throws {
            let choices = [mine, theirs, pick != nil].filter { $0 }.count
            guard choices <= 1 else { throw ArgumentParser.ValidationError("choose one of --mine, --theirs and --pick") }
            guard choices == 1 || !overrides.isEmpty else {
                throw ArgumentParser.ValidationError("say how to resolve: --mine, --theirs, --pick VERSION, or new values such as --note")
            }
        }

        func run() throws {
            let choice: ResolveChoice = mine ? .mine : theirs ? .theirs : pick.map { .pick($0) } ?? ResolveChoice.none
            let result = try options.openStore().resolve(id, choice: choice, overrides: overrides)
            if options.json {
                Terminal.printJSON(["kind": .string(result.kind.rawValue), "id": .string(result.id), "deleted": .bool(result.deleted)])
            } else {
                print("Resolved \(result.kind.rawValue) \(result.id)" + (result.deleted ? ": deleted, as chosen" : ""))
            }
        }
    }
}
