import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new replica: an empty store with a fresh replica id.",
            discussion: """
                Example:
                  gloss init --name ayşe --store ~/notes.gloss
                """)

        @Option(help: "Your name, written as the author of the annotations you make.")
        var name: String?

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let store = try GlossDatabase.create(at: options.storePath, name: name)
            let replica = try store.replicaInfo()
            if options.json {
                var object: [String: JSONValue] = ["replica": .string(replica.id.description), "store": .string(store.path)]
                if let name { object["name"] = .string(name) }
                Terminal.printJSON(.object(object))
            } else {
                print("Created replica \(replica.id) at \(store.path)")
            }
        }
    }
}
