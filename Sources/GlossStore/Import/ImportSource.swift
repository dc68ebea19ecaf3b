import GlossCore
import Foundation

/// The files `gloss import` was given, checked and ready to be read again as a stream.
///
/// Importing reads its input twice and never holds it whole, so memory stays flat
/// whatever the file's size:
///
/// 1. ``scan(paths:)`` reads every file once, parsing and validating every item and
///    keeping only counts: a bad file named on the command line stops the import before
///    anything is written (as `gloss import --help` promises), a bad file inside a folder
///    is set aside with its reason, and the number of items is known for progress.
/// 2. ``forEachItem(_:)`` reads the files again and hands over the items one by one,
///    every article before every annotation (so an annotation finds its article, whatever
///    file or line it comes from). When the scan saw no article after an annotation (an
///    export lists articles first; seed texts are all articles) that is one pass in
///    file order; otherwise it is two: the articles, then everything else. Two passes
///    were chosen over holding back annotations whose article has not been seen yet:
///    a file listing all its annotations first would hold back nearly everything, so
///    holding back bounds memory by nothing, where a second read costs a parse.
public struct ImportSource: Sendable {
    /// A file that passed the scan.
    public struct File: Sendable, Hashable {
        public enum Format: Sendable, Hashable {
            /// One seed-format article.
            case seed
            /// JSON Lines, as `gloss export --format jsonl` writes.
            case jsonl
        }

        public let path: String
        public let format: Format
        /// Items it holds (articles and annotations).
        public let items: Int
        /// Its size in bytes.
        public let bytes: Int
    }

    public private(set) var files: [File] = []
    /// Files inside folders that were passed over, with the reason.
    public private(set) var skipped: [(path: String, reason: String)] = []
    /// Whether every article comes before every annotation, across the files in order.
    public private(set) var articlesFirst = true

    /// Items in all the files.
    public var itemCount: Int { files.reduce(0) { $0 + $1.items } }
    /// Bytes in all the files.
    public var byteCount: Int { files.reduce(0) { $0 + $1.bytes } }

    /// Checks every file below `paths` (pass 1 above), holding none of their items.
    /// - Throws: when a file named in `paths` is missing or cannot be imported (nothing
    ///   has been written then); a bad file inside a folder is only skipped.
    public static func scan(paths: [String]) throws(ImportError) -> ImportSource {
        var source = ImportSource()
        var sawAnnotation = false
        let fileManager = FileManager.default
        func add(_ path: String) throws(ImportError) {
            let scanned = try scanFile(path)
            if scanned.articleAfterAnnotation || (sawAnnotation && scanned.articles > 0) { source.articlesFirst = false }
            if scanned.annotations > 0 { sawAnnotation = true }
            source.files.append(scanned.file)
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missing(path: path) }
            if isDirectory.boolValue {
                for file in try ImportReader.files(inFolder: path) {
                    do {
                        try add(file)
                    } catch {
                        if case .inFile(_, let inner) = error {
                            source.skipped.append((file, inner.description))
                        } else {
                            source.skipped.append((file, error.description))
                        }
                    }
                }
            } else {
                try add(path)
            }
        }
        return source
    }

    private struct Scanned {
        var file: File
        var articles = 0
        var annotations = 0
        var articleAfterAnnotation = false
    }

    private static func scanFile(_ path: String) throws(ImportError) -> Scanned {
        if isJSONLines(path) {
            let counts = try scanLines(path)
            guard counts.articles + counts.annotations > 0 else { throw .inFile(path: path, .empty) }
            var scanned = Scanned(file: File(path: path, format: .jsonl, items: counts.articles + counts.annotations, bytes: counts.bytes))
            scanned.articles = counts.articles
            scanned.annotations = counts.annotations
            scanned.articleAfterAnnotation = counts.articleAfterAnnotation
            return scanned
        }
        let (_, bytes) = try readSeed(path)
        var scanned = Scanned(file: File(path: path, format: .seed, items: 1, bytes: bytes))
        scanned.articles = 1
        return scanned
    }

    /// What the scan of (part of) a JSON Lines file found.
    struct LineCounts: Sendable {
        var articles = 0
        var annotations = 0
        var articleAfterAnnotation = false
        var lines = 0
        var bytes = 0

        /// The counts of this part followed by `next`.
        func followed(by next: LineCounts) -> LineCounts {
            var joined = self
            joined.articleAfterAnnotation = articleAfterAnnotation || next.articleAfterAnnotation || (annotations > 0 && next.articles > 0)
            joined.articles += next.articles
            joined.annotations += next.annotations
            joined.lines += next.lines
            joined.bytes += next.bytes
            return joined
        }
    }

    /// Scans a JSON Lines file; a large one in two halves on two threads (parsing bounds
    /// the scan, and nothing else runs before it ends). The first bad line is reported,
    /// with its number in the whole file, as a single pass would.
    static func scanLines(_ path: String) throws(ImportError) -> LineCounts {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size >= 4 << 20, let middle = JSONLinesReader.lineStart(after: size / 2, in: path), middle < size else {
            return try scanLines(path, range: nil)
        }
        let secondHalf = ScanThread { () throws(ImportError) -> LineCounts in try scanLines(path, range: middle..<size) }
        let first: LineCounts
        do throws(ImportError) {
            first = try scanLines(path, range: 0..<middle)
        } catch {
            _ = secondHalf.value()
            throw error
        }
        switch secondHalf.value() {
        case .success(let second): return first.followed(by: second)
        case .failure(.inFile(let file, .badLine(let line, let reason))):
            throw .inFile(path: file, .badLine(line: first.lines + line, reason: reason))
        case .failure(let error): throw error
        }
    }

    private static func scanLines(_ path: String, range: Range<Int>?) throws(ImportError) -> LineCounts {
        var counts = LineCounts()
        let read = try JSONLinesReader.forEach(path: path, range: range) { item in
            switch item {
            case .article:
                if counts.annotations > 0 { counts.articleAfterAnnotation = true }
                counts.articles += 1
            case .annotation:
                counts.annotations += 1
            }
        }
        counts.lines = read.lines
        counts.bytes = read.bytes
        return counts
    }

    static func isJSONLines(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
    }

    /// Reads one seed-format file.
    static func readSeed(_ path: String) throws(ImportError) -> (ImportItem, bytes: Int) {
        let (text, bytes) = try ImportReader.readText(path)
        let article: Article
        do throws(ImportError) {
            article = try SeedFormat.parse(text, source: (path as NSString).lastPathComponent)
        } catch {
            throw .inFile(path: path, error)
        }
        // What a local write of it would check (a lead sentence too long for a title, say),
        // so the scan finds it before anything is written.
        do throws(ValidationError) {
            try article.validate()
        } catch {
            throw .inFile(path: path, .invalid(error.description))
        }
        return (.article(article, authoritative: false), bytes)
    }

    /// Hands over the items of the scanned files (pass 2 above): every article before
    /// every annotation, each kind in file order.
    /// - Parameter body: called with each item and the bytes read so far of all the files.
    /// - Throws: what `body` throws, or an ``ImportError`` when a file changed since the
    ///   scan and no longer reads.
    public func forEachItem(_ body: (ImportItem, _ bytesRead: Int) throws -> Void) throws {
        if articlesFirst {
            try readAll(wanted: nil, body)
        } else {
            try readAll(wanted: .articles, body)
            try readAll(wanted: .others, body)
        }
    }

    private enum Wanted { case articles, others }

    private func readAll(wanted: Wanted?, _ body: (ImportItem, Int) throws -> Void) throws {
        var before = 0
        for file in files {
            switch file.format {
            case .seed:
                // Seed texts are articles only.
                if wanted != .others { try body(try Self.readSeed(file.path).0, before + file.bytes) }
            case .jsonl:
                // Lines of the kind not wanted in this pass are passed over unparsed when
                // their type shows in their first bytes (as an export writes them).
                var skip: ((UnsafeBufferPointer<UInt8>) -> Bool)? = nil
                if let wanted {
                    let wantingArticles = wanted == .articles
                    skip = { line in JSONLinesReader.isSkippable(line, wantingArticles: wantingArticles) }
                }
                try JSONLinesReader.forEach(path: file.path, range: nil, skip: skip) { item, offset in
                    switch (wanted, item) {
                    case (nil, _), (.articles?, .article), (.others?, .annotation): try body(item, before + offset)
                    default: break
                    }
                }
            }
            before += file.bytes
        }
    }
}

/// Reads a JSON Lines file as a stream: a chunk at a time, one line parsed at a time.
enum JSONLinesReader {
    static let chunkSize = 1 << 20

    /// Calls `body` with each item of the file (or of the lines in `range` of its bytes,
    /// which starts and ends at a line's start), in order.
    /// - Returns: the bytes and lines read.
    @discardableResult
    static func forEach(
        path: String, range: Range<Int>? = nil, _ body: (ImportItem) throws -> Void
    ) throws(ImportError) -> (bytes: Int, lines: Int) {
        do {
            return try forEach(path: path, range: range, skip: nil) { item, _ in try body(item) }
        } catch let error as ImportError {
            throw error
        } catch {
            throw .inFile(path: path, .unreadable(path: path, reason: "\(error)"))
        }
    }

    /// Calls `body` with each item of the file and the bytes read up to its line's end.
    /// - Parameter skip: lines for which it returns `true` are not parsed.
    /// - Parameter range: the bytes to read, from a line's start to a line's start; `nil`
    ///   for the whole file.
    /// - Returns: the bytes and lines read.
    @discardableResult
    static func forEach(
        path: String, range: Range<Int>? = nil, skip: ((UnsafeBufferPointer<UInt8>) -> Bool)?,
        _ body: (ImportItem, Int) throws -> Void
    ) throws -> (bytes: Int, lines: Int) {
        guard let file = fopen(path, "rb") else {
            let reason = String(cString: strerror(errno))
            throw ImportError.inFile(path: path, .unreadable(path: path, reason: reason))
        }
        defer { fclose(file) }
        if let range, range.lowerBound > 0, fseek(file, range.lowerBound, SEEK_SET) != 0 {
            throw ImportError.inFile(path: path, .unreadable(path: path, reason: "cannot seek"))
        }
        var remaining = range.map(\.count) ?? Int.max
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var pending: [UInt8] = []  // the start of a line that runs past the last chunk
        var lineNumber = 0
        var offset = 0  // bytes of the file consumed before `pending`
        func handle(_ line: UnsafeBufferPointer<UInt8>, end: Int) throws {
            lineNumber += 1
            if let skip, skip(line) { return }
            let item: ImportItem?
            do throws(ImportError) {
                item = try JSONLines.item(line, lineNumber: lineNumber)
            } catch {
                throw ImportError.inFile(path: path, error)
            }
            if let item { try body(item, end) }
        }
        while true {
            let wanted = min(chunkSize, remaining)
            let count = wanted == 0 ? 0 : buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, wanted, file) }
            remaining -= count
            if count == 0 {
                if ferror(file) != 0 {
                    throw ImportError.inFile(path: path, .unreadable(path: path, reason: "read error"))
                }
                break
            }
            try buffer.withUnsafeBufferPointer { chunk in
                var start = 0
                while start < count, let newline = chunk[start..<count].firstIndex(of: UInt8(ascii: "\n")) {
                    if pending.isEmpty {
                        try handle(UnsafeBufferPointer(rebasing: chunk[start..<newline]), end: offset + newline + 1)
                    } else {
                        pending.append(contentsOf: chunk[start..<newline])
                        try pending.withUnsafeBufferPointer { try handle($0, end: offset + newline + 1) }
                        pending.removeAll(keepingCapacity: false)
                    }
                    start = newline + 1
                }
                pending.append(contentsOf: chunk[start..<count])
            }
            offset += count
        }
        if !pending.isEmpty {
            try pending.withUnsafeBufferPointer { try handle($0, end: offset) }
        }
        return (offset, lineNumber)
    }

    /// The offset of the first line starting after byte `offset`, or `nil` when no line does.
    static func lineStart(after offset: Int, in path: String) -> Int? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        guard fseek(file, offset, SEEK_SET) == 0 else { return nil }
        var position = offset
        while true {
            let byte = fgetc(file)
            if byte == EOF { return nil }
            position += 1
            if byte == 0x0A { return position }
        }
    }

    /// Whether a line can be passed over unparsed in a pass that wants only articles
    /// (`wantingArticles`) or only annotations: its last member is `"type"` naming the
    /// other kind, as an export writes it (keys sorted, `type` last). The parser refuses
    /// duplicate keys and the scan parsed every line, so the last member decides. Any
    /// other line is parsed and filtered after.
    static func isSkippable(_ line: UnsafeBufferPointer<UInt8>, wantingArticles: Bool) -> Bool {
        var end = line.count
        while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D { end -= 1 }
        let other = wantingArticles ? annotationTail : articleTail
        guard end > other.count else { return false }
        let tail = line[(end - other.count)..<end]
        let before = line[end - other.count - 1]
        return (before == UInt8(ascii: ",") || before == UInt8(ascii: "{")) && tail.elementsEqual(other)
    }

    private static let annotationTail = Array(#""type":"annotation"}"#.utf8)
    private static let articleTail = Array(#""type":"article"}"#.utf8)
}

extension JSONLines {
    /// Reads one line of a JSON Lines file: `nil` for a blank line.
    static func item(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws(ImportError) -> ImportItem? {
        if isBlank(line) { return nil }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes: line)
        } catch {
            // The whole file used to be checked as UTF-8 first; say the same thing.
            if String(validating: line, as: UTF8.self) == nil { throw .notUTF8 }
            throw .badLine(line: lineNumber, reason: error.description)
        }
        return try item(value, lineNumber: lineNumber)
    }

    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let asciiSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        if line.allSatisfy(asciiSpace) { return true }
        // Rare: a line of other white space (what `Character.isWhitespace` says).
        guard line.contains(where: { $0 >= 0x80 }), !line.contains(UInt8(ascii: "{")),
            let text = String(validating: line, as: UTF8.self)
        else { return false }
        return text.allSatisfy(\.isWhitespace)
    }
}

/// One piece of work on its own thread; ``value()`` waits for it (call it once).
final class ScanThread<Value: Sendable>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Result<Value, ImportError>?

    init(_ work: @escaping @Sendable () throws(ImportError) -> Value) {
        let thread = Thread { [self] in
            do throws(ImportError) {
                outcome = .success(try work())
            } catch {
                outcome = .failure(error)
            }
            finished.signal()
        }
        thread.name = "gloss-import-scan"
        thread.start()
    }

    func value() -> Result<Value, ImportError> {
        finished.wait()
        return outcome!
    }
}
