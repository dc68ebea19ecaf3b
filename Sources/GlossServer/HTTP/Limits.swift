public import GlossCore

/// Bounds on what a request may carry. Every one has a safe default, and
/// `gloss-server serve` takes an option for each.
public struct Limits: Sendable {
    /// Request body as sent (possibly gzip-compressed).
    public var maxBodyBytes = 16 * 1024 * 1024
    /// Request body after decompression (so a gzip bomb is refused). The decompressor
    /// may allocate up to about twice this before the check refuses the body.
    public var maxDecompressedBytes = 64 * 1024 * 1024
    /// Changes in one pushed batch.
    public var maxBatchChanges = 10_000
    /// Changes in one pull page, and its default.
    public var maxPageChanges = 10_000
    public var defaultPageChanges = 1_000
    /// About this many bytes in one pull page (at least one change is always sent).
    public var pageBytes = 1024 * 1024
    /// Longest long-poll, in seconds.
    public var maxWaitSeconds = 60
    /// JSON nesting.
    public var maxJSONDepth = 32
    /// Longest strings in a pushed article or annotation (text, note, quote, other fields).
    public var content = ContentLimits.default
    /// Bodies larger than this are gzip-compressed when the client accepts it.
    public var compressAbove = 1_024

    public init() {}

    public static let `default` = Limits()
}
