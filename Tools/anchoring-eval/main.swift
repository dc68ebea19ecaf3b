// anchoring-eval: places every annotation of the re-anchoring evaluation set on its corrected text.
//
//   anchoring-eval examples/anchoring-eval/cases.jsonl [--repeat N] [--out FILE]
//
// Reads the cases `scripts/anchoring-eval generate` writes (one JSON object per line: an
// article's original and corrected text and the annotations made on the original), builds one
// `Anchoring` per corrected text, places every annotation with it and writes one JSON line per
// annotation:
//
//   {"case":"…","id":"…","placement":"placed","method":"quote","start":12,"end":17,"exact":"Musul"}
//   {"case":"…","id":"…","placement":"orphaned"}
//
// then, for each case whose "kind" is "speed", one line
//
//   {"timing":{"case":"…","annotations":1000,"scalars":…,"runs_ms":[…],"median_ms":…,"index_ms":[…],"identical":true}}
//
// timed inside this process with ContinuousClock: building the index (`ScalarText` and
// `Anchoring` from the corrected text) and placing every annotation of the case, repeated N
// times (default 5; "index_ms" is the part of each run spent on the index; "identical" says
// every repetition placed every annotation the same way);
// and one line {"timing":{"case":"regular",…}} with the time of all the other cases together.
// Judging the placements (exact, orphaned, wrong words) is done by `scripts/anchoring-eval run`.
import Foundation
import GlossCore

struct Selector: Decodable {
    var exact: String
    var prefix: String
    var suffix: String
    var start: Int
    var end: Int
}

struct CaseAnnotation: Decodable {
    var id: String
    var selector: Selector
}

struct Case: Decodable {
    var id: String
    var kind: String
    var corrected: String
    var annotations: [CaseAnnotation]
}

struct Output: Encodable {
    var `case`: String
    var id: String
    var placement: String
    var method: String?
    var start: Int?
    var end: Int?
    var exact: String?
}

struct Timing: Encodable {
    var `case`: String
    var annotations: Int
    var scalars: Int
    var runs_ms: [Double]
    var median_ms: Double
    /// Of each run, the part spent building the index (`ScalarText` and `Anchoring`).
    var index_ms: [Double]
    var identical: Bool
}

struct TimingLine: Encodable {
    var timing: Timing
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("anchoring-eval: \(message)\n".utf8))
    exit(2)
}

func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Builds the index of `text` and places every selector: the timed unit of work. Returns the
/// placements, the whole time and the time the index took.
func placeAll(_ text: String, _ selectors: [TextSelector], _ clock: ContinuousClock) -> ([Placement], Duration, Duration) {
    let began = clock.now
    let anchoring = Anchoring(text: ScalarText(text))
    let indexed = clock.now
    let placements = selectors.map { anchoring.place($0) }
    let ended = clock.now
    return (placements, ended - began, indexed - began)
}

// MARK: - Arguments

var arguments = Array(CommandLine.arguments.dropFirst())
var repeats = 5
var outPath: String? = nil
var inputPath: String? = nil
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--repeat":
        guard let value = arguments.first.flatMap({ Int($0) }), value >= 1 else { fail("--repeat needs a count ≥ 1") }
        repeats = value
        arguments.removeFirst()
    case "--out":
        guard let value = arguments.first else { fail("--out needs a file") }
        outPath = value
        arguments.removeFirst()
    case "-h", "--help":
        print("usage: anchoring-eval CASES.jsonl [--repeat N] [--out FILE]")
        exit(0)
    default:
        guard inputPath == nil, !argument.hasPrefix("-") else { fail("unexpected argument \(argument)") }
        inputPath = argument
    }
}
guard let inputPath else { fail("usage: anchoring-eval CASES.jsonl [--repeat N] [--out FILE]") }
guard let data = FileManager.default.contents(atPath: inputPath) else { fail("cannot read \(inputPath)") }

// MARK: - Cases

let decoder = JSONDecoder()
var cases: [Case] = []
for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
    do {
        cases.append(try decoder.decode(Case.self, from: Data(line)))
    } catch {
        fail("\(inputPath):\(number + 1): \(error)")
    }
}

/// The result lines, encoded as they come.
struct Writer {
    var output = Data()
    let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    mutating func emit<T: Encodable>(_ value: T) {
        do {
            output.append(try encoder.encode(value))
            output.append(UInt8(ascii: "\n"))
        } catch {
            fail("cannot encode a result: \(error)")
        }
    }

    mutating func emitPlacements(_ item: Case, _ placements: [Placement]) {
        for (annotation, placement) in zip(item.annotations, placements) {
            switch placement {
            case .placed(let selector, let method):
                emit(Output(case: item.id, id: annotation.id, placement: "placed", method: method.rawValue,
                            start: selector.start, end: selector.end, exact: selector.exact))
            case .orphaned:
                emit(Output(case: item.id, id: annotation.id, placement: "orphaned"))
            }
        }
    }
}

var writer = Writer()
let clock = ContinuousClock()
var regularTime = Duration.zero
var regularAnnotations = 0
var regularScalars = 0
var timings: [Timing] = []
for item in cases {
    let selectors = item.annotations.map {
        TextSelector(exact: $0.selector.exact, prefix: $0.selector.prefix, suffix: $0.selector.suffix,
                     start: $0.selector.start, end: $0.selector.end)
    }
    if item.kind == "speed" {
        var runs: [Double] = []
        var indexRuns: [Double] = []
        var first: [Placement]? = nil
        var identical = true
        for _ in 0..<repeats {
            let (placements, elapsed, index) = placeAll(item.corrected, selectors, clock)
            runs.append(milliseconds(elapsed))
            indexRuns.append(milliseconds(index))
            if let first { identical = identical && first == placements } else { first = placements }
        }
        writer.emitPlacements(item, first ?? [])
        timings.append(Timing(case: item.id, annotations: selectors.count, scalars: item.corrected.unicodeScalars.count,
                              runs_ms: runs, median_ms: median(runs), index_ms: indexRuns, identical: identical))
    } else {
        let (placements, elapsed, _) = placeAll(item.corrected, selectors, clock)
        regularTime += elapsed
        regularAnnotations += selectors.count
        regularScalars += item.corrected.unicodeScalars.count
        writer.emitPlacements(item, placements)
    }
}
for timing in timings { writer.emit(TimingLine(timing: timing)) }
let regular = milliseconds(regularTime)
writer.emit(TimingLine(timing: Timing(case: "regular", annotations: regularAnnotations, scalars: regularScalars,
                               runs_ms: [regular], median_ms: regular, index_ms: [], identical: true)))

if let outPath {
    guard FileManager.default.createFile(atPath: outPath, contents: writer.output) else { fail("cannot write \(outPath)") }
} else {
    FileHandle.standardOutput.write(writer.output)
}
