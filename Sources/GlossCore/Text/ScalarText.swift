/// A text indexed by Unicode scalar, the unit in which Gloss counts offsets (what
/// Python's `str` indexes), so selectors mean the same thing in every language.
public struct ScalarText: Sendable {
    public let scalars: [Unicode.Scalar]

    public init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    public var count: Int { scalars.count }

    /// The text from `start` (inclusive) to `end` (exclusive), clamped to the text.
    public func slice(_ start: Int, _ end: Int) -> String {
        let lower = max(0, min(start, count))
        let upper = max(lower, min(end, count))
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[lower..<upper])
        return String(view)
    }

    /// The part of `start..<end` inside the text; `nil` when none of it is (a stale or
    /// damaged span must never index past the text).
    public func clamped(_ start: Int, _ end: Int) -> Range<Int>? {
        let lower = max(0, min(start, count))
        let upper = max(lower, min(end, count))
        return lower < upper ? lower..<upper : nil
    }

    /// Every offset at which `needle` occurs, in order (overlapping occurrences included).
    public func occurrences(of needle: String) -> [Int] {
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, pattern.count <= count else { return [] }
        var result: [Int] = []
        let first = pattern[0]
        var index = 0
        let last = count - pattern.count
        while index <= last {
            if scalars[index] == first {
                var matched = true
                for offset in 1..<pattern.count where scalars[index + offset] != pattern[offset] {
                    matched = false
                    break
                }
                if matched { result.append(index) }
            }
            index += 1
        }
        return result
    }

    /// The line (1-based) and column (1-based, in scalars) of an offset, for messages.
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for scalar in scalars[0..<min(offset, count)] {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
