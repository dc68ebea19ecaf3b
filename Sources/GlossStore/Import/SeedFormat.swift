public import GlossCore
import Foundation

/// The corpus's plain-text article format: a first line ` date YYYY-MM ` followed by
/// the lead sentence, then paragraphs separated by blank lines.
///
/// The whole text is kept exactly (NFC-normalized) as the article's text, so offsets
/// and exports refer to the file as it is; the lead sentence becomes the title.
public enum SeedFormat {
    /// Reads a seed-format article.
    /// - Parameters:
    ///   - text: the file's text, already decoded from UTF-8.
    ///   - source: where it came from (the file name), kept as `source`.
    /// - Throws: a reason, when the text is empty or its first line is not a date line.
    public static func parse(_ text: String, source: String?) throws(ImportError) -> Article {
        let normalized = UnicodeNormalization.nfc(text)
        guard normalized.contains(where: { !$0.isWhitespace }) else { throw .empty }
        let firstLine = normalized.prefix { $0 != "\n" && $0 != "\r\n" }
        var rest = firstLine.drop { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" }
        guard rest.hasPrefix("date ") else {
            throw .notSeedFormat("its first line must start with ' date YYYY-MM ' (found '\(firstLine.prefix(40))')")
        }
        rest = rest.dropFirst(5).drop { $0 == " " }
        let date = String(rest.prefix(7))
        guard Syntax.isValidDate(date) else {
            throw .notSeedFormat("its first line must start with ' date YYYY-MM ' (found date '\(date)')")
        }
        let title = rest.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return Article(
            title: String(title), date: date, text: normalized, source: source,
            language: guessLanguage(normalized))
    }

    /// A light guess from letters only Turkish uses; enough to tell the corpus's Turkish
    /// articles from English ones, and never used for anything but display and export.
    static func guessLanguage(_ text: String) -> String {
        let turkish: Set<Character> = ["ğ", "Ğ", "ş", "Ş", "ı", "İ"]
        return text.contains(where: { turkish.contains($0) }) ? "tr" : "en"
    }
}
