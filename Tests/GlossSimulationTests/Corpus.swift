import Foundation
import GlossCore
import GlossStore

/// The articles of the simulation: the first paragraphs of the repository's sample
/// article (`examples/corpus/musul-2016-12.txt`: Turkish with an English tweet), and a
/// generated one, so quotes and ranges hit real text.
enum SimulationCorpus {
    /// The package root: this file is `<root>/Tests/GlossSimulationTests/Corpus.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let articles: [Article] = {
        var texts: [String] = []
        let sample = packageRoot.appendingPathComponent("examples/corpus/musul-2016-12.txt")
        guard let data = FileManager.default.contents(atPath: sample.path), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("the sample article \(sample.path) is missing or not UTF-8")
        }
        let paragraphs = text.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        texts.append(paragraphs.prefix(6).joined(separator: "\n\n") + "\n")
        texts.append(
            " date 2017-01 Musul'da ikinci aşama: İnsani yardım kuruluşları uyarıyor.\n\n"
                + "Kış koşullarında yüz binlerce kişinin yardıma ihtiyaç duyduğu açıklandı; Musul'dan kaçış sürüyor.\n\n"
                + "Aid groups say şehir merkezi is still cut off. Irak ordusu ilerliyor, ırak sınırı kapalı.\n")
        return texts.enumerated().map { index, text in
            try! SeedFormat.parse(text, source: "sim-\(index).txt")
        }
    }()

    static let notes = ["kuşatma", "önemli", "kaynak?", "ırak sınırı", "check this", "İstanbul'dan", ""]
    static let labels = ["PER", "LOC", "ORG", "CLAIM", ""]
    static let colors = ["red", "blue", "yellow", ""]
    static let tags = ["yer", "kişi", "iddia", "todo", "ığüşöç"]
    static let titles = ["Musul'da son durum", "Irak: ikinci aşama", "Mosul update"]
    static let quotes = ["Musul", "Irak", "kent", "Mosul"]
}
