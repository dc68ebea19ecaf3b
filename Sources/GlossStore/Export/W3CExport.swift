import GlossCore

/// The W3C Web Annotation Data Model (https://www.w3.org/TR/annotation-model/): one
/// AnnotationCollection whose single page holds every annotation, each targeting its
/// article with a TextQuoteSelector and a TextPositionSelector.
enum W3CExport {
    static let context: JSONValue = "http://www.w3.org/ns/anno.jsonld"

    static func articleIRI(_ id: String) -> String { "urn:gloss:article:\(id)" }
    static func annotationIRI(_ id: String) -> String { "urn:gloss:annotation:\(id)" }

    static func annotation(_ record: AnnotationRecord) -> JSONValue {
        let annotation = record.annotation
        var bodies: [JSONValue] = []
        if let note = annotation.note {
            bodies.append(["type": "TextualBody", "value": .string(note), "format": "text/plain", "purpose": "commenting"])
        }
        for tag in annotation.tags {
            bodies.append(["type": "TextualBody", "value": .string(tag), "purpose": "tagging"])
        }
        if let label = annotation.label {
            bodies.append(["type": "TextualBody", "value": .string(label), "purpose": "classifying"])
        }
        var object: [String: JSONValue] = [
            "@context": context,
            "id": .string(annotationIRI(annotation.id)),
            "type": "Annotation",
            "modified": .string(Timestamps.iso(record.modified)),
            "target": [
                "source": .string(articleIRI(annotation.article)),
                "selector": .array(selectors(record)),
            ],
        ]
        if !bodies.isEmpty { object["body"] = bodies.count == 1 ? bodies[0] : .array(bodies) }
        if let created = annotation.created { object["created"] = .string(created) }
        if let author = annotation.author { object["creator"] = ["type": "Person", "nickname": .string(author)] }
        return .object(object)
    }

    /// A TextQuoteSelector, and a TextPositionSelector unless the annotation is an orphan:
    /// its words are gone from the text, so no position in it is true; the quote and its
    /// context still say what it was about.
    static func selectors(_ record: AnnotationRecord) -> [JSONValue] {
        let target = record.annotation.target
        var selectors: [JSONValue] = [
            [
                "type": "TextQuoteSelector", "exact": .string(target.exact), "prefix": .string(target.prefix),
                "suffix": .string(target.suffix),
            ]
        ]
        if !record.isOrphaned {
            selectors.append(["type": "TextPositionSelector", "start": .int(Int64(target.start)), "end": .int(Int64(target.end))])
        }
        return selectors
    }

    static func document(articles: [ArticleRecord], annotations: [AnnotationRecord]) -> String {
        let items = annotations.map(annotation)
        return CanonicalJSON.pretty(
            [
                "@context": context,
                "id": "urn:gloss:export",
                "type": "AnnotationCollection",
                "label": "Gloss annotations",
                "total": .int(Int64(items.count)),
                "first": ["type": "AnnotationPage", "startIndex": 0, "items": .array(items)],
            ]) + "\n"
    }
}
