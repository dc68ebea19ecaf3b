public import GlossCore
import GRDB

/// One search result.
public struct SearchHit: Sendable, Hashable {
    public var kind: EntityKind
    public var id: String
    /// The article the hit is in (the article itself, or the annotated one).
    public var articleID: String
    public var title: String
    /// Text around the first match, from the original (unfolded) text.
    public var snippet: String
    /// Ranges of `snippet`, in scalars, that matched.
    public var highlights: [Range<Int>]
    /// BM25 rank: lower is better.
    public var rank: Double

    public var json: JSONValue {
        .object([
            "kind": .string(kind.rawValue), "id": .string(id), "article": .string(articleID), "title": .string(title),
            "snippet": .string(snippet),
            "highlights": .array(highlights.map { .array([.int(Int64($0.lowerBound)), .int(Int64($0.upperBound))]) }),
            "rank": .double(rank),
        ])
    }
}

extension GlossDatabase {
    /// Searches titles, article text and notes, ranked best first.
    ///
    /// Case-, diacritic- and Turkish-insensitive: query and index are folded the same
    /// way, so `irak`, `IRAK`, `ırak` and `İrak` all find "Irak". Every word must occur;
    /// words match as prefixes, so `musul` finds "Musul'un" and `irak` finds "Iraklı".
    public func search(_ query: String, limit: Int = 20) throws -> [SearchHit] {
        let terms = try Self.searchTermsOrRefuse(query)
        return try read { db in try Self.fetchSearch(db, terms: terms, limit: limit) }
    }

    /// The query's folded words; refuses a query without any.
    static func searchTermsOrRefuse(_ query: String) throws(StoreError) -> [String] {
        let terms = searchTerms(query)
        guard !terms.isEmpty else { throw StoreError.invalid(.missingField("search words")) }
        return terms
    }

    static func fetchSearch(_ db: Database, terms: [String], limit: Int) throws -> [SearchHit] {
        let match = terms.map { "\"\($0)\"*" }.joined(separator: " ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT e.kind, e.id, bm25(search, 4.0, 1.0) AS rank
                FROM search JOIN entities e ON e.rowid = search.rowid
                WHERE search MATCH ? ORDER BY rank, e.id LIMIT ?
                """, arguments: [match, limit])
        return try rows.compactMap { row -> SearchHit? in
            let kind = try EntityKind.stored(row["kind"])
            let id: String = row["id"]
            let rank: Double = row["rank"]
            switch kind {
            case .article:
                guard let row = try Row.fetchOne(db, sql: "SELECT id, content FROM article_view WHERE kind = 'article' AND id = ?", arguments: [id])
                else { return nil }
                let article = try Self.articleRecord(content: row)
                let (title, text) = (article.title, article.text)
                let (snippet, highlights) = Self.snippet(in: text, terms: terms) ?? Self.snippet(in: title, terms: terms)
                    ?? (String(title.prefix(120)), [])
                return SearchHit(
                    kind: kind, id: id, articleID: id, title: title, snippet: snippet, highlights: highlights, rank: rank)
            case .annotation:
                guard let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT n.id, n.content, a.id AS article_id, a.content AS article_content
                        FROM annotation_view n JOIN article_view a ON a.entity = n.article_entity WHERE n.kind = 'annotation' AND n.id = ?
                        """,
                    arguments: [id])
                else { return nil }
                let annotation = try decode(row["content"]) { content throws(ValidationError) in
                    try Annotation(id: id, content: content)
                }
                let articleID: String = row["article_id"]
                let title = try decode(row["article_content"]) { content throws(ValidationError) in
                    try Article(id: articleID, content: content)
                }.title
                let text = annotation.note ?? ""
                let (snippet, highlights) = Self.snippet(in: text, terms: terms) ?? (String(text.prefix(120)), [])
                return SearchHit(
                    kind: kind, id: id, articleID: articleID, title: title, snippet: snippet,
                    highlights: highlights, rank: rank)
            }
        }
    }

    /// The folded words of a query, as the index's tokenizer splits text: runs of
    /// letters and digits.
    static func searchTerms(_ query: String) -> [String] {
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in TextFolding.fold(UnicodeNormalization.nfc(query)).unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                terms.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { terms.append(String(current)) }
        return terms
    }

    /// About 100 scalars of `text` around the first word that starts with a term, with
    /// every such word in the window highlighted. Offsets in the folded text equal offsets
    /// in the original, since folding maps one scalar to one.
    static func snippet(in text: String, terms: [String]) -> (String, [Range<Int>])? {
        let original = Array(text.unicodeScalars)
        let folded = Array(TextFolding.fold(text).unicodeScalars)
        func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
        var matches: [Range<Int>] = []
        var index = 0
        while index < folded.count {
            guard isWordScalar(folded[index]), index == 0 || !isWordScalar(folded[index - 1]) else {
                index += 1
                continue
            }
            var end = index
            while end < folded.count, isWordScalar(folded[end]) { end += 1 }
            let word = folded[index..<end]
            if terms.contains(where: { term in word.starts(with: term.unicodeScalars) }) { matches.append(index..<end) }
            index = end
        }
        guard let first = matches.first else { return nil }
        let radius = 50
        var lower = max(0, first.lowerBound - radius)
        var upper = min(original.count, first.upperBound + radius)
        // Start and end on word boundaries where possible.
        while lower > 0, lower < first.lowerBound, !original[lower - 1].properties.isWhitespace { lower += 1 }
        while upper < original.count, upper > first.upperBound, !original[upper].properties.isWhitespace { upper -= 1 }
        var view = String.UnicodeScalarView()
        let prefix = lower > 0 ? "…" : ""
        view.append(contentsOf: prefix.unicodeScalars)
        for scalar in original[lower..<upper] { view.append(scalar.properties.isWhitespace ? " " : scalar) }
        if upper < original.count { view.append("…") }
        let shift = prefix.unicodeScalars.count - lower
        let highlights = matches.filter { $0.lowerBound >= lower && $0.upperBound <= upper }
            .map { ($0.lowerBound + shift)..<($0.upperBound + shift) }
        return (String(view), highlights)
    }
}
