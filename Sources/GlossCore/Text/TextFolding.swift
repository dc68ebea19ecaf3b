/// Folds text for search: case, diacritics and the Turkish dotted/dotless i, with every
/// Unicode scalar mapped to exactly one scalar.
///
/// One scalar in, one scalar out keeps offsets in the folded copy equal to offsets in
/// the original, so search hits and snippets map straight back to the real text.
/// `I`, `ı`, `İ` and `i` all fold to `i`; `ş` to `s`, `ğ` to `g`, `Ö` to `o`, and so on.
public enum TextFolding {
    /// The folded copy of `text`, with exactly as many scalars.
    public static func fold(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            result.append(fold(scalar))
        }
        return String(result)
    }

    /// Folds one scalar.
    public static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        if value < 0x80 {
            if value >= 0x41 && value <= 0x5A { return Unicode.Scalar(value + 32)! }
            return scalar
        }
        switch value {
        case 0x0130, 0x0131: return "i"  // İ (capital dotted) and ı (dotless)
        default: break
        }
        if let cached = cache.withLock({ $0[value] }) { return cached }
        let folded = computeFold(scalar)
        cache.withLock { $0[value] = folded }
        return folded
    }

    private static let cache = Locked<[UInt32: Unicode.Scalar]>([:])

    private static func computeFold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        // Strip combining marks from the canonical decomposition, then lowercase; keep the
        // result only when it is still one scalar (so "ß" or "ﬁ" stay as they are).
        // Only a single base letter plus marks is stripped: a decomposition into several
        // letters (a Hangul syllable into its jamo, an Indic two-part vowel) is not an accent.
        let decomposed = String(scalar).decomposedStringWithCanonicalMappingScalars
        let letters = decomposed.filter { $0.properties.generalCategory != .nonspacingMark }
        let base = letters.count == 1 ? letters[0] : scalar
        let lowered = base.properties.lowercaseMapping.unicodeScalars
        if lowered.count == 1, let only = lowered.first { return only == "ı" ? "i" : only }
        return base
    }
}

extension String {
    /// The canonical decomposition (NFD) of the string, as scalars.
    fileprivate var decomposedStringWithCanonicalMappingScalars: [Unicode.Scalar] {
        Array(UnicodeNormalization.nfd(self).unicodeScalars)
    }
}
