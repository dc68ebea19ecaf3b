import Foundation
import GlossCore

/// Writing to the terminal: plain text, JSON, and highlights when a person is looking.
enum Terminal {
    /// Whether standard output is a terminal (so colors and highlights help).
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    /// Whether to color, embolden and underline: on a terminal, unless `NO_COLOR` is set
    /// to anything but the empty string (https://no-color.org).
    static let styled = stdoutIsTerminal && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty

    static func printJSON(_ value: JSONValue) {
        print(CanonicalJSON.string(value))
    }

    /// A line on standard output written at once (not buffered), for long-running
    /// commands whose output is read while they run.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// One line on standard error, prefixed with `gloss: `.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("gloss: \(message)\n".utf8))
    }

    /// A progress or notice line on standard error.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    static func bold(_ text: String) -> String { styled ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    static func dim(_ text: String) -> String { styled ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
    static func highlight(_ text: String) -> String { styled ? "\u{1B}[4;33m\(text)\u{1B}[0m" : text }

    /// `text` cut to `width` characters with an ellipsis, on one line.
    static func truncate(_ text: String, _ width: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }

    /// Left-aligned columns.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A short form of an id for tables (still a unique prefix in practice).
    static func short(_ id: String) -> String { String(id.prefix(10)) }
}

