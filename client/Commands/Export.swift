public import ArgumentParser
import Foundation
import GlossCore
import GlossStore

extension ExportFormat: ExpressibleByArgument {}

extension Gloss {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the corpus and annotations as json, jsonl, w3c, brat or markdown.",
            discussion: """
                jsonl imports back unchanged ('gloss import FILE.jsonl'); w3c is a W3C Web Annotation \
                AnnotationCollection (JSON-LD); brat writes ID.txt + ID.ann pairs into the --out folder. \
                Replicas that synced the same changes export byte-identical files.

                Examples:
                  gloss export --format jsonl --out corpus.jsonl
                  gloss export --format brat --out brat/
                """)

        @Option(help: ArgumentHelp("One of: json, jsonl, w3c, brat, markdown.", valueName: "format"))
        var format: ExportFormat

        @Option(help: ArgumentHelp("Where to write (a folder for brat); standard output if omitted.", valueName: "path"))
        var out: String?

        @OptionGroup var options: GlobalOptions

        func run() throws {
            if format.isFolder, out == nil { throw CLIError.folderNeeded(format: format.rawValue) }
            let output = try options.openStore().export(format)
            switch output {
            case .document(let text):
                guard let out else {
                    FileHandle.standardOutput.write(Data(text.utf8))
                    return
                }
                try write(text, to: out)
            case .files(let files, let leftOut):
                let folder = out!
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw CLIError.cannotWrite(path: folder, reason: "cannot create the folder")
                }
                for file in files { try write(file.contents, to: (folder as NSString).appendingPathComponent(file.name)) }
                if leftOut > 0 {
                    Terminal.note(
                        "left out \(leftOut) orphaned annotation\(leftOut == 1 ? "" : "s") (their words are gone from the text; "
                            + "list them with 'gloss annotations --orphans')")
                }
            }
        }

        private func write(_ text: String, to path: String) throws {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw CLIError.cannotWrite(path: path, reason: (error as NSError).localizedDescription)
            }
        }
    }
}
