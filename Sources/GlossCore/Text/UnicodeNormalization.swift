import Foundation

/// Unicode normalization, in one place so every layer normalizes the same way.
public enum UnicodeNormalization {
    /// The NFC form of `text`: what Gloss stores and counts offsets in.
    public static func nfc(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping
    }

    /// The NFD form of `text`.
    public static func nfd(_ text: String) -> String {
        text.decomposedStringWithCanonicalMapping
    }

    /// Whether `text` is already NFC.
    public static func isNFC(_ text: String) -> Bool {
        // Fast path: below U+0300 no scalar decomposes or combines, so such text (ASCII,
        // Latin-1, Latin Extended-A and -B: Turkish included) is NFC as it stands.
        if text.unicodeScalars.allSatisfy({ $0.value < 0x300 }) { return true }
        // Comparing scalars, not Strings: String equality is canonical equivalence.
        return text.unicodeScalars.elementsEqual(nfc(text).unicodeScalars)
    }
}
