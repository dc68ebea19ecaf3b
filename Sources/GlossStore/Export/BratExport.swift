import GlossCore

/// brat standoff (https://brat.nlplab.org/standoff.html): per article `ID.txt` holding
/// the text exactly and `ID.ann` with one text-bound annotation per line, offsets in
/// characters (Unicode scalars) into the `.txt`.
enum BratExport {
    static func files(articles: [ArticleRecord], annotations: [AnnotationRecord]) -> [(name: String, contents: String)] {
        let byArticle = Dictionary(grouping: annotations, by: \.annotation.article)
        var files: [(name: String, contents: String)] = []
        for record in articles.sorted(by: { $0.article.id < $1.article.id }) {
            let article = record.article
            files.append(("\(article.id).txt", article.text))
            files.append(("\(article.id).ann", ann(text: ScalarText(article.text), annotations: byArticle[article.id] ?? [])))
        }
        return files
    }

    /// A brat line cannot hold a newline, so a span crossing lines becomes fragments.
    /// Any span is accepted: it is clamped to the text (nothing outside it is read).
    static func fragments(_ text: ScalarText, start: Int, end: Int) -> [(Int, Int)] {
        guard let span = text.clamped(start, end) else { return [] }
        let (start, end) = (span.lowerBound, span.upperBound)
        var result: [(Int, Int)] = []
        var fragmentStart = start
        for index in start..<end where text.scalars[index] == "\n" {
            if index > fragmentStart { result.append((fragmentStart, index)) }
            fragmentStart = index + 1
        }
        if end > fragmentStart { result.append((fragmentStart, end)) }
        return result
    }

    /// How many of `annotations` a brat export leaves out: the orphans, whose words are
    /// gone from their article's text.
    static func omitted(_ annotations: [AnnotationRecord]) -> Int {
        annotations.count { $0.isOrphaned }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\r\n" ? " " : $0 })
    }

    static func ann(text: ScalarText, annotations: [AnnotationRecord]) -> String {
        var lines: [String] = []
        var noteNumber = 0
        // An orphan has no span in this text: brat leaves it out (``omitted(_:)`` counts them).
        for (index, record) in annotations.enumerated() where !record.isOrphaned {
            let annotation = record.annotation
            let number = index + 1
            let pieces = fragments(text, start: annotation.target.start, end: annotation.target.end)
            guard !pieces.isEmpty else { continue }
            let spans = pieces.map { "\($0.0) \($0.1)" }.joined(separator: ";")
            let covered = pieces.map { text.slice($0.0, $0.1) }.joined(separator: " ")
            lines.append("T\(number)\t\(annotation.label ?? "Annotation") \(spans)\t\(covered)")
            var notes: [String] = []
            if let note = annotation.note { notes.append(oneLine(note)) }
            if !annotation.tags.isEmpty { notes.append("tags: " + annotation.tags.joined(separator: ", ")) }
            if !notes.isEmpty {
                noteNumber += 1
                lines.append("#\(noteNumber)\tAnnotatorNotes T\(number)\t\(notes.joined(separator: " | "))")
            }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
