/// How an annotation sits on the current text of its article; see ``Anchoring``.
public enum Placement: Sendable, Hashable {
    /// Found: the selector for the current text (its `exact` is what the text holds at
    /// `start..<end`, its prefix and suffix are recomputed from the text), and how it was found.
    case placed(TextSelector, Method)
    /// Its words are gone, or cannot be told apart from other words: nothing passed the thresholds.
    case orphaned

    /// How a placed annotation was found.
    public enum Method: String, Sendable, Hashable {
        /// The stored offsets still hold the quote.
        case position
        /// An exact occurrence of the quote, chosen by its context.
        case quote
        /// An approximate occurrence: the quoted words themselves were corrected.
        case fuzzy
    }

    /// The selector on the current text, or nil when orphaned.
    public var selector: TextSelector? {
        if case .placed(let selector, _) = self { return selector }
        return nil
    }
}
