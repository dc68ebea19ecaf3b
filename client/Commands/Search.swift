import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search titles, article text and notes.",
            discussion: """
                Case-, accent- and Turkish-insensitive: irak, IRAK, ırak and İrak all find "Irak". \
                Every word must occur; words match as prefixes, so musul finds "Musul'un". \
                Results are ranked best first, each with a snippet around the match.

                Example:
                  gloss search musul hastane
                """)

        @Argument(help: ArgumentHelp("Words to search for.", valueName: "query"))
        var words: [String]

        @Option(help: "At most this many results.")
        var limit = 20

        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard limit > 0 else { throw ArgumentParser.ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let hits = try options.openStore().search(words.joined(separator: " "), limit: limit)
            if options.json {
                Terminal.printJSON(.array(hits.map(\.json)))
                return
            }
            guard !hits.isEmpty else {
                print("No matches.")
                return
            }
            for hit in hits {
                print(Terminal.bold("\(hit.kind.rawValue) \(Terminal.short(hit.id))") + "  " + Terminal.truncate(hit.title, 70))
                print("  " + Self.render(hit))
            }
        }

        /// The snippet with its matches highlighted on a terminal.
        static func render(_ hit: SearchHit) -> String {
            let scalars = ScalarText(hit.snippet)
            var output = ""
            var position = 0
            for range in hit.highlights {
                output += scalars.slice(position, range.lowerBound)
                output += Terminal.bold(scalars.slice(range.lowerBound, range.upperBound))
                position = range.upperBound
            }
            return output + scalars.slice(position, scalars.count)
        }
    }
}
