/// Why an article or annotation is not acceptable, written for the person who typed it.
public enum ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingField(String)
    case wrongType(field: String, expected: String)
    case emptyText
    case textTooLong(field: String, limit: Int)
    case tooManyTags(limit: Int)
    case notNFC(field: String)
    case invalidDate(String)
    case invalidTag(String)
    case invalidLabel(String)
    case invalidColor(String)
    case invalidRange(start: Int, end: Int, length: Int)
    case quoteMismatch(expected: String, found: String)
    case invalidID(kind: EntityKind, id: String)

    public var description: String {
        switch self {
        case .missingField(let field): return "missing field '\(field)'"
        case .wrongType(let field, let expected): return "field '\(field)' must be \(expected)"
        case .emptyText: return "the article text is empty"
        case .textTooLong(let field, let limit): return "'\(field)' is longer than \(limit) characters"
        case .tooManyTags(let limit): return "more than \(limit) tags; keep at most \(limit)"
        case .notNFC(let field): return "'\(field)' is not in Unicode NFC form"
        case .invalidDate(let date): return "date '\(date)' is not of the form YYYY-MM"
        case .invalidTag(let tag):
            return "tag '\(tag)' is not valid: use 1 to 64 letters, digits or -_.:/ without spaces"
        case .invalidLabel(let label):
            return "label '\(label)' is not valid: use 1 to 64 letters, digits or -_.:/ without spaces"
        case .invalidColor(let color):
            return "color '\(color)' is not valid: use #rgb, #rrggbb or a lowercase name such as yellow"
        case .invalidRange(let start, let end, let length):
            if end <= start { return "span \(start)..<\(end) is empty; give an end offset greater than the start" }
            return "span \(start)..<\(end) is not inside the text: use offsets from 0 to \(length) (Unicode scalars, end exclusive)"
        case .quoteMismatch(let expected, let found):
            return "the quote '\(expected)' does not match the text at that position ('\(found)')"
        case .invalidID(let kind, let id): return "'\(id)' is not a valid \(kind.rawValue) id"
        }
    }
}

/// Syntax rules shared by tags, labels and colors.
public enum Syntax {
    public static let maxNameLength = 64

    /// A tag or label: 1–64 scalars, letters, digits and `- _ . : /`, no spaces.
    public static func isValidName(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty, scalars.count <= maxNameLength else { return false }
        return scalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || "-_.:/#".unicodeScalars.contains(scalar)
        }
    }

    /// `#rgb`, `#rrggbb`, or a lowercase color name.
    public static func isValidColor(_ color: String) -> Bool {
        let bytes = Array(color.utf8)
        if bytes.first == UInt8(ascii: "#") {
            let digits = bytes.dropFirst()
            return (digits.count == 3 || digits.count == 6) && digits.allSatisfy { byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
            }
        }
        return !bytes.isEmpty && bytes.count <= 32 && bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    /// `YYYY-MM`.
    public static func isValidDate(_ date: String) -> Bool {
        let bytes = Array(date.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-") else { return false }
        let digits = bytes[0..<4] + bytes[5..<7]
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        let month = Int(String(decoding: bytes[5..<7], as: UTF8.self)) ?? 0
        return (1...12).contains(month)
    }
}
