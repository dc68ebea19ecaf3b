import GlossCore

/// The formats `gloss export` writes.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One JSON document: `{"articles": […], "annotations": […]}` with derived fields.
    case json
    /// One JSON object per line, as `gloss import` reads back unchanged.
    case jsonl
    /// A W3C Web Annotation Data Model AnnotationCollection (JSON-LD).
    case w3c
    /// brat standoff: a folder of `ID.txt` + `ID.ann` pairs.
    case brat
    /// A readable Markdown document.
    case markdown

    /// Whether the format is a folder of files rather than one document.
    public var isFolder: Bool { self == .brat }
}

/// What an export produced.
public enum ExportOutput: Sendable {
    /// One document, written to a file or standard output.
    case document(String)
    /// Files to write inside a folder, by name; `leftOut` annotations could not be
    /// written in the format (brat: orphans, which have no span in their article's text).
    case files([(name: String, contents: String)], leftOut: Int)
}

extension GlossDatabase {
    /// Exports every live article and annotation. The output depends only on the entities'
    /// state, so replicas that synced the same changes export byte-identical files.
    public func export(_ format: ExportFormat) throws -> ExportOutput {
        let articles = try articles()
        let annotations = try self.annotations()
        switch format {
        case .json: return .document(JSONExport.document(articles: articles, annotations: annotations))
        case .jsonl: return .document(JSONExport.lines(articles: articles, annotations: annotations))
        case .w3c: return .document(W3CExport.document(articles: articles, annotations: annotations))
        case .brat:
            return .files(BratExport.files(articles: articles, annotations: annotations), leftOut: BratExport.omitted(annotations))
        case .markdown: return .document(MarkdownExport.document(articles: articles, annotations: annotations))
        }
    }
}

/// `json` and `jsonl`.
enum JSONExport {
    static func sortedArticles(_ articles: [ArticleRecord]) -> [ArticleRecord] {
        articles.sorted { $0.article.id < $1.article.id }
    }

    static func document(articles: [ArticleRecord], annotations: [AnnotationRecord]) -> String {
        CanonicalJSON.pretty(
            .object([
                "articles": .array(sortedArticles(articles).map { $0.json(includeText: true) }),
                "annotations": .array(annotations.map(\.json)),
            ])) + "\n"
    }

    /// Articles first (by id), then annotations (by article and position): each line the
    /// entity's own fields plus `type` and `id`, so it imports unchanged. An annotation's
    /// `target` is where it sits on the exported text, and an orphan says `orphaned: true`
    /// (derived: import recomputes both).
    static func lines(articles: [ArticleRecord], annotations: [AnnotationRecord]) -> String {
        var output: [UInt8] = []
        for record in sortedArticles(articles) {
            var object = record.article.content
            object["type"] = "article"
            object["id"] = .string(record.article.id)
            CanonicalJSON.write(.object(object), to: &output)
            output.append(UInt8(ascii: "\n"))
        }
        for record in annotations {
            var object = record.annotation.content
            object["type"] = "annotation"
            object["id"] = .string(record.annotation.id)
            if record.isOrphaned { object["orphaned"] = true }
            CanonicalJSON.write(.object(object), to: &output)
            output.append(UInt8(ascii: "\n"))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
