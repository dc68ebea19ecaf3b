import ArgumentParser
import GlossCore
import GlossServer

/// `serve`'s options for the bounds on what a request may carry. The defaults are
/// `Limits.default`; each refusal answers 413 (sizes) or 422 (content) saying which bound.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Largest request body as sent, in bytes (possibly gzip).", valueName: "bytes"))
    var maxBodyBytes = Limits.default.maxBodyBytes

    @Option(help: ArgumentHelp("Largest request body after gzip decompression, in bytes.", valueName: "bytes"))
    var maxDecompressedBytes = Limits.default.maxDecompressedBytes

    @Option(help: ArgumentHelp("Most changes in one pushed batch.", valueName: "count"))
    var maxBatchChanges = Limits.default.maxBatchChanges

    @Option(help: ArgumentHelp("Most changes in one pull page.", valueName: "count"))
    var maxPageChanges = Limits.default.maxPageChanges

    @Option(help: ArgumentHelp("Deepest JSON nesting in a request.", valueName: "levels"))
    var maxJSONDepth = Limits.default.maxJSONDepth

    @Option(help: ArgumentHelp("Longest article text, in Unicode scalars.", valueName: "scalars"))
    var maxTextLength = Limits.default.content.text

    @Option(help: ArgumentHelp("Longest annotation note, in Unicode scalars.", valueName: "scalars"))
    var maxNoteLength = Limits.default.content.note

    @Option(help: ArgumentHelp("Longest quoted span (a selector's exact), in Unicode scalars.", valueName: "scalars"))
    var maxQuoteLength = Limits.default.content.quote

    @Option(help: ArgumentHelp("Longest other string field (title, prefix, suffix …), in Unicode scalars.", valueName: "scalars"))
    var maxFieldLength = Limits.default.content.field

    func validate() throws {
        let positive: [(String, Int)] = [
            ("--max-body-bytes", maxBodyBytes), ("--max-decompressed-bytes", maxDecompressedBytes),
            ("--max-batch-changes", maxBatchChanges), ("--max-page-changes", maxPageChanges),
            ("--max-json-depth", maxJSONDepth), ("--max-text-length", maxTextLength), ("--max-note-length", maxNoteLength),
            ("--max-quote-length", maxQuoteLength), ("--max-field-length", maxFieldLength),
        ]
        for (name, value) in positive where value < 1 { throw ValidationError("\(name) must be at least 1") }
        guard maxDecompressedBytes >= maxBodyBytes else {
            throw ValidationError("--max-decompressed-bytes must be at least --max-body-bytes")
        }
    }

    var limits: Limits {
        var limits = Limits.default
        limits.maxBodyBytes = maxBodyBytes
        limits.maxDecompressedBytes = maxDecompressedBytes
        limits.maxBatchChanges = maxBatchChanges
        limits.maxPageChanges = maxPageChanges
        limits.defaultPageChanges = min(limits.defaultPageChanges, maxPageChanges)
        limits.maxJSONDepth = maxJSONDepth
        limits.content.text = maxTextLength
        limits.content.note = maxNoteLength
        limits.content.quote = maxQuoteLength
        limits.content.field = maxFieldLength
        return limits
    }
}
