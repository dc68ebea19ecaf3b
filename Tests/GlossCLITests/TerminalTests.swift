import Foundation
import Testing

/// Styling on a terminal, and NO_COLOR (https://no-color.org).
@Suite struct TerminalTests {
    /// `gloss ARGUMENTS` under `script`, which gives it a terminal; `NO_COLOR` as given
    /// (nil: unset).
    static func onTerminal(_ arguments: [String], noColor: String?) async throws -> ProcessResult {
        var environment = Gloss.environment()
        environment["NO_COLOR"] = noColor
        let command = ([Gloss.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try await Runner.run(URL(fileURLWithPath: "/usr/bin/env"), ["script", "-qec", command, "/dev/null"], environment: environment)
    }

    @Test func noColorTurnsOffEveryEscapeSequence() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            try await store.annotate(article, ["--quote", "Musul kentini", "--note", "baş"])
            let commands = [
                ["show", article, "--annotations"], ["search", "musul"], ["annotations"], ["conflicts"],
            ].map { $0 + ["--store", store.path] }
            let escape = "\u{1B}["
            // On a terminal, styled: the check below would see escapes if there were any.
            let styled = try await Self.onTerminal(commands[0], noColor: nil)
            #expect(styled.status == 0 && styled.stdout.contains(escape), "\(styled)")
            let empty = try await Self.onTerminal(commands[0], noColor: "")
            #expect(empty.stdout.contains(escape), "an empty NO_COLOR is as if unset: \(empty)")
            for command in commands {
                let plain = try await Self.onTerminal(command, noColor: "1")
                #expect(plain.status == 0, "\(plain)")
                #expect(!plain.stdout.contains("\u{1B}"), "NO_COLOR=1 gloss \(command.joined(separator: " ")): \(plain)")
            }
            let plain = try await Self.onTerminal(commands[0], noColor: "1")
            #expect(plain.stdout.contains("Musul kentini"), "\(plain)")
        }
    }
}
