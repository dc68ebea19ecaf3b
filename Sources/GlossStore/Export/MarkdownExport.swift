import Foundation
import GlossCore

/// A readable Markdown document: each article with its metadata, text and annotations.
enum MarkdownExport {
    static func document(articles: [ArticleRecord], annotations: [AnnotationRecord]) -> String {
        let byArticle = Dictionary(grouping: annotations, by: \.annotation.article)
        var output = "# Gloss corpus\n\n\(articles.count) articles, \(annotations.count) annotations.\n"
        for record in articles.sorted(by: { $0.article.id < $1.article.id }) {
            let article = record.article
            output += "\n## \(escape(article.title.isEmpty ? article.id : article.title))\n\n"
            var facts = ["id `\(article.id)`"]
            if let date = article.date { facts.insert(date, at: 0) }
            if !article.tags.isEmpty { facts.append("tags: " + article.tags.map { "`\($0)`" }.joined(separator: ", ")) }
            output += facts.joined(separator: " · ") + "\n\n"
            let paragraphs = article.text.split(separator: "\n", omittingEmptySubsequences: true)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            output += paragraphs.map(escape).joined(separator: "\n\n") + "\n"
            let notes = byArticle[article.id] ?? []
            if !notes.isEmpty {
                output += "\n### Annotations\n\n"
                for note in notes {
                    let annotation = note.annotation
                    var line = "- \u{201C}\(escape(annotation.target.exact))\u{201D}"
                    if let label = annotation.label { line += " **\(label)**" }
                    if let text = annotation.note { line += " — \(escape(BratExport.oneLine(text)))" }
                    if !annotation.tags.isEmpty { line += " " + annotation.tags.map { "`#\($0)`" }.joined(separator: " ") }
                    output += line + " (`\(annotation.id)`)\n"
                }
            }
        }
        return output
    }

    /// Escapes the characters Markdown would read as markup.
    static func escape(_ text: some StringProtocol) -> String {
        var result = ""
        for character in text {
            if "\\`*_[]<>#|".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
