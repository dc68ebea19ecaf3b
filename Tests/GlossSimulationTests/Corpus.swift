import Foundation
import GlossCore
import GlossStore

/// The articles of the simulation: the first paragraphs of the Mosul seed article (Turkish
/// with an English tweet), and a generated one, so quotes and ranges hit real text.
enum SimulationCorpus {
    static let articles: [Article] = {
        var texts: [String] = []
        let path = "/work/shared/corpus/mosul-2016-12.txt"
        if let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) {
            let paragraphs = text.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            texts.append(paragraphs.prefix(6).joined(separator: "\n\n") + "\n")
        } else {
            texts.append(
                " date 2016-12 Irak güvenlik güçleri Musul kentini kurtarmak için ilerliyor.\n\n"
                    + "Militanların saldırıları sürerken Musul'un doğusunda çatışmalar yoğunlaştı.\n\n"
                    + "A video from inside east #Mosul shows fierce battles. #Iraq\n")
        }
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
