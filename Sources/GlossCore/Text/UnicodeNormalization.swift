public import Foundation

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
        // Comparing scalars, not Strings: String equality is canonical equivalence.
        text.unicodeScalars.elementsEqual(nfc(text).unicodeScalars)
    }
}
