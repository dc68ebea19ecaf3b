public import GlossCore
import Foundation

/// One thing to import.
public enum ImportItem: Sendable, Hashable {
    /// An article; `authoritative` when it comes from an export (its fields replace the
    /// stored ones) rather than from a seed-format text (which never overwrites edits).
    case article(Article, authoritative: Bool)
    case annotation(Annotation)
}

/// Everything read from the paths given to `gloss import`.
public struct ImportPlan: Sendable {
    public var items: [ImportItem] = []
    /// Files inside folders that were passed over, with the reason.
    public var skipped: [(path: String, reason: String)] = []
    public var files = 0
}

/// Reads seed-format `.txt` files, folders of them (recursively) and JSONL exports.
///
/// A file named on the command line that cannot be read is an error and nothing is
/// imported; a bad file found inside a folder is skipped with its reason.
public enum ImportReader {
    public static func read(paths: [String]) throws(ImportError) -> ImportPlan {
        var plan = ImportPlan()
        let fileManager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missing(path: path) }
            if isDirectory.boolValue {
                for file in try files(inFolder: path) {
                    do {
                        plan.items += try readFile(file)
                        plan.files += 1
                    } catch {
                        plan.skipped.append((file, inner(error).description))
                    }
                }
            } else {
                plan.items += try readFile(path)
                plan.files += 1
            }
        }
        return plan
    }

    private static func inner(_ error: ImportError) -> ImportError {
        if case .inFile(_, let inner) = error { return inner }
        return error
    }

    /// The importable files below a folder, sorted, hidden ones left out.
    static func files(inFolder folder: String) throws(ImportError) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw .unreadable(path: folder, reason: "cannot list the folder")
        }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { enumerator.skipDescendants() }
                continue
            }
            let lower = name.lowercased()
            if lower.hasSuffix(".txt") || lower.hasSuffix(".jsonl") { result.append((folder as NSString).appendingPathComponent(relative)) }
        }
        return result.sorted()
    }

    /// A whole file as UTF-8 text, and its size in bytes.
    static func readText(_ path: String) throws(ImportError) -> (text: String, bytes: Int) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .inFile(path: path, .unreadable(path: path, reason: (error as NSError).localizedDescription))
        }
        guard let text = String(validating: data, as: UTF8.self) else { throw .inFile(path: path, .notUTF8) }
        return (text, data.count)
    }

    /// Reads one file: `.jsonl`/`.ndjson` as an export, anything else as a seed-format article.
    public static func readFile(_ path: String) throws(ImportError) -> [ImportItem] {
        let (text, _) = try readText(path)
        let lower = path.lowercased()
        do throws(ImportError) {
            if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return try JSONLines.parse(text) }
            return [.article(try SeedFormat.parse(text, source: (path as NSString).lastPathComponent), authoritative: false)]
        } catch {
            throw .inFile(path: path, error)
        }
    }
}

/// The JSON Lines format `gloss export --format jsonl` writes: one object per line,
/// `{"type": "article"|"annotation", "id": …, <fields>}`.
public enum JSONLines {
    public static func parse(_ text: String) throws(ImportError) -> [ImportItem] {
        var items: [ImportItem] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            let value: JSONValue
            do {
                value = try JSONParser.parse(String(line))
            } catch {
                throw .badLine(line: lineNumber, reason: error.description)
            }
            items.append(try item(value, lineNumber: lineNumber))
        }
        guard !items.isEmpty else { throw .empty }
        return items
    }

    /// The item one line's JSON value describes.
    static func item(_ value: JSONValue, lineNumber: Int) throws(ImportError) -> ImportItem {
        guard var object = value.objectValue else { throw .badLine(line: lineNumber, reason: "not a JSON object") }
        guard let type = object.removeValue(forKey: "type")?.stringValue,
            let id = object.removeValue(forKey: "id")?.stringValue
        else { throw .badLine(line: lineNumber, reason: "needs string fields 'type' and 'id'") }
        object[ReservedField.conflicts] = nil
        // Derived, as an export writes it: placement is recomputed here, never content.
        if type == "annotation" { object["orphaned"] = nil }
        guard type == "article" || type == "annotation" else {
            throw .badLine(line: lineNumber, reason: "unknown type '\(type)': expected article or annotation")
        }
        do throws(ValidationError) {
            if type == "article" {
                return .article(try Article(id: id, content: object), authoritative: true)
            } else {
                return .annotation(try Annotation(id: id, content: object))
            }
        } catch {
            throw .badLine(line: lineNumber, reason: error.description)
        }
    }
}
