/// Writes JSON in one canonical form: object keys sorted by their UTF-8 bytes, no
/// insignificant white space, non-ASCII text kept as UTF-8 (never `\u` escaped).
///
/// Canonical bytes make content comparable by bytes and exports byte-identical across
/// replicas, and writing them is several times cheaper than Foundation's JSONEncoder.
public enum CanonicalJSON {
    /// The canonical UTF-8 text of `value`.
    public static func string(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the canonical encoding of `value` to `output`.
    public static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): output.append(contentsOf: String(number).utf8)
        case .double(let number):
            if number.isFinite, number == number.rounded(), abs(number) < 9e15 {
                output.append(contentsOf: String(Int64(number)).utf8)
            } else if number.isFinite {
                output.append(contentsOf: "\(number)".utf8)
            } else {
                output.append(contentsOf: "null".utf8)  // JSON has no NaN or infinity.
            }
        case .string(let text): writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(members[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Whether parsing the canonical text of `value` gives `value` back. It does unless the
    /// value holds a `.double` that is written as an integer (a whole number, read back as
    /// `.int`) or as `null` (not finite).
    public static func roundTrips(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .int, .string: return true
        case .double(let number): return number.isFinite && !(number == number.rounded() && abs(number) < 9e15)
        case .array(let elements): return elements.allSatisfy(roundTrips)
        case .object(let members): return members.values.allSatisfy(roundTrips)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string literal.
    public static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 15)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension CanonicalJSON {
    /// The canonical form laid out for people: two-space indents, one member per line,
    /// keys sorted. Equal values give equal bytes, as with ``string(_:)``.
    public static func pretty(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writePretty(value, indent: 0, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static func writePretty(_ value: JSONValue, indent: Int, to output: inout [UInt8]) {
        func newline(_ level: Int) {
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writePretty(element, indent: indent + 1, to: &output)
            }
            newline(indent)
            output.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writeString(key, to: &output)
                output.append(contentsOf: ": ".utf8)
                writePretty(members[key]!, indent: indent + 1, to: &output)
            }
            newline(indent)
            output.append(UInt8(ascii: "}"))
        default:
            write(value, to: &output)
        }
    }
}
