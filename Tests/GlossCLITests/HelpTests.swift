import Foundation
import Testing

/// `--help` and `--version`.
@Suite struct HelpTests {
    /// The commands design.md's "Client command line" lists that exist offline today.
    static let documented = [
        "init", "import", "articles", "show", "annotate", "annotations", "edit", "delete", "search", "status",
        "conflicts", "resolve", "log", "export", "doctor",
    ]

    /// The subcommands `gloss --help` lists.
    static func listedSubcommands() async throws -> [String] {
        let help = try await Gloss.ok(["--help"])
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "SUBCOMMANDS:"), "\(help)")
        var names: [String] = []
        for line in lines[(start + 1)...] where line.hasPrefix("  ") && !line.hasPrefix("   ") {
            // "  name    abstract" starts a command; continuation lines are indented further.
            let name = line.dropFirst(2).prefix { $0 != " " }
            if !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0 == "-" }) { names.append(String(name)) }
        }
        return names
    }

    @Test func gLOSSHelpListsEveryCommand() async throws {
        let help = try await Gloss.ok(["--help"])
        #expect(help.stderr.isEmpty)
        #expect(help.stdout.contains("USAGE"))
        let listed = try await Self.listedSubcommands()
        for command in Self.documented { #expect(listed.contains(command), "gloss --help does not list \(command): \(listed)") }
    }

    @Test func everySubcommandHasHelpWithAnExample() async throws {
        let commands = Set(try await Self.listedSubcommands()).union(Self.documented).sorted()
        for command in commands {
            let result = try await Gloss.run([command, "--help"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("Example"), "gloss \(command) --help has no example: \(result)")
            #expect(result.stdout.contains("gloss \(command)"), "\(result)")
            if result.stdout.contains("SUBCOMMANDS:") {
                // A command group (gloss remote): its subcommands take the store option.
                for sub in ["set", "show"] where result.stdout.contains("  \(sub) ") {
                    let subHelp = try await Gloss.run([command, sub, "--help"])
                    #expect(subHelp.status == 0 && subHelp.stdout.contains("--store"), "\(subHelp)")
                    #expect(subHelp.stdout.contains("Example"), "\(subHelp)")
                }
            } else {
                #expect(result.stdout.contains("--store"), "\(result)")
            }
            let viaHelp = try await Gloss.run(["help", command])
            #expect(viaHelp.status == 0 && viaHelp.stdout.contains("Example"), "\(viaHelp)")
        }
    }

    @Test func versionMentionsLibcurl() async throws {
        let result = try await Gloss.ok(["--version"])
        #expect(result.stdout.hasPrefix("gloss "), "\(result)")
        #expect(result.stdout.contains("libcurl"), "\(result)")
        let line = result.stdout.trimmingCharacters(in: .newlines)
        #expect(!line.contains("\n"), "one line: \(result)")
        // "gloss X.Y.Z (libcurl A.B.C)": both versions are dotted numbers.
        let numbers = line.split(whereSeparator: { !$0.isNumber && $0 != "." }).filter { $0.contains(".") }
        #expect(numbers.count >= 2, "\(line)")
    }
}
