// The index of a text's scalar grams that finds a quote's exact occurrences, and the
// sorting and alignment algorithms under it (see ``Anchoring``).
extension Anchoring {
    /// Every offset where `quote` occurs exactly (in offset order only when it is a gram long or
    /// longer: a shorter pattern's run spans several keys).
    func occurrences(_ quote: [Unicode.Scalar]) -> [Int] {
        let n = text.count, m = quote.count
        guard m > 0, m <= n else { return [] }
        // Look up the rarest of a few of the quote's grams (or the whole quote, when shorter than
        // a gram), then check each hit scalar by scalar.
        let last = max(0, m - gram)
        let shifts = last < 8 ? Array(0...last) : (0..<8).map { last * $0 / 7 }
        var best: (run: Range<Int>, shift: Int)? = nil
        for shift in shifts {
            guard let run = run(of: quote[shift..<min(m, shift + gram)]) else { return [] }
            if best.map({ run.count < $0.run.count }) ?? true { best = (run, shift) }
        }
        guard let best else { return [] }
        var result: [Int] = []
        for offset in offsets[best.run] {
            let start = offset - best.shift
            if start >= 0, start + m <= n, text.scalars[start..<(start + m)].elementsEqual(quote) { result.append(start) }
        }
        return result
    }

    /// The run of `keys` (and `offsets`) whose offsets start with `scalars` folded (at most one
    /// gram), or nil when the text lacks one of the folded scalars.
    func run(of scalars: ArraySlice<Unicode.Scalar>) -> Range<Int>? {
        var key: UInt64 = 0
        for scalar in scalars {
            let value = foldedValue(scalar)
            let code = value < 0x800 ? smallGramCodes[Int(value)] : largeGramCodes[value, default: 0]
            if code == 0 { return nil }
            key = key << UInt64(bits) | UInt64(code)
        }
        let used = scalars.count * bits
        let low = key << UInt64(64 - used)
        let high = low | (used >= 64 ? 0 : UInt64.max >> UInt64(used))
        let lower = Self.firstIndex(in: keys) { $0 >= low }
        let upper = Self.firstIndex(in: keys) { $0 > high }
        return lower..<upper
    }

    func code(of scalar: Unicode.Scalar) -> UInt32 {
        scalar.value < 0x800 ? smallCodes[Int(scalar.value)] : largeCodes[scalar.value, default: 0]
    }

    func foldedValue(_ scalar: Unicode.Scalar) -> UInt32 {
        let code = code(of: scalar)
        return code == 0 ? TextFolding.fold(scalar).value : foldedByCode[Int(code)]
    }

    func placed(_ start: Int, _ end: Int, _ method: Placement.Method) -> Placement {
        let selector = TextSelector(
            exact: text.slice(start, end), prefix: text.slice(start - TextSelector.contextLength, start),
            suffix: text.slice(end, end + TextSelector.contextLength), start: start, end: end)
        return .placed(selector, method)
    }

    /// The first index of the sorted `keys` for which `isAbove` holds (it must be monotone).
    static func firstIndex(in keys: [UInt64], where isAbove: (UInt64) -> Bool) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if isAbove(keys[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Sorts `keys` with `values` alongside, stably (LSD radix sort by bytes), looking only at
    /// bytes from `lowestByte` up (the ones below are zero).
    static func radixSort(_ keys: inout [UInt64], _ values: inout [Int], lowestByte: Int) {
        let n = keys.count
        guard n > 1 else { return }
        var keysOut = [UInt64](repeating: 0, count: n)
        var valuesOut = [Int](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 257)
        for byte in lowestByte..<8 {
            let shift = UInt64(byte * 8)
            for index in 0..<257 { counts[index] = 0 }
            for key in keys { counts[Int((key >> shift) & 0xFF) + 1] += 1 }
            if counts[Int((keys[0] >> shift) & 0xFF) + 1] == n { continue }  // one bucket: nothing moves
            for index in 1..<257 { counts[index] += counts[index - 1] }
            for index in 0..<n {
                let bucket = Int((keys[index] >> shift) & 0xFF)
                let target = counts[bucket]
                counts[bucket] = target + 1
                keysOut[target] = keys[index]
                valuesOut[target] = values[index]
            }
            swap(&keys, &keysOut)
            swap(&values, &valuesOut)
        }
    }

    /// Edit distances (substitutions, insertions, deletions and swaps of two neighbours: the
    /// optimal string alignment distance) between `pattern` and the stretches of `text` ending at
    /// each j in 0…text.count: any stretch when `freeStart` (Sellers' approximate substring
    /// matching), else `text[0..<j]`.
    static func alignmentCosts(_ pattern: [UInt32], _ text: [UInt32], freeStart: Bool) -> [Int] {
        let m = pattern.count, width = text.count
        var result = [Int](repeating: m, count: width + 1)
        guard m > 0 else { return [Int](repeating: 0, count: width + 1) }
        guard width > 0 else { return result }
        // Three columns (j-2, j-1, j) in one buffer, rotated by offset.
        var columns = [Int](repeating: 0, count: 3 * (m + 1))
        for i in 0...m { columns[m + 1 + i] = i }
        result.withUnsafeMutableBufferPointer { out in
            columns.withUnsafeMutableBufferPointer { buffer in
                pattern.withUnsafeBufferPointer { p in
                    text.withUnsafeBufferPointer { t in
                        var older = 0, previous = m + 1, current = 2 * (m + 1)
                        for j in 1...width {
                            let scalar = t[j - 1], before: UInt32 = j > 1 ? t[j - 2] : .max
                            buffer[current] = freeStart ? 0 : j
                            for i in 1...m {
                                var value = buffer[previous + i - 1] + (p[i - 1] == scalar ? 0 : 1)
                                value = min(value, buffer[previous + i] + 1, buffer[current + i - 1] + 1)
                                if i > 1, j > 1, p[i - 1] == before, p[i - 2] == scalar { value = min(value, buffer[older + i - 2] + 1) }
                                buffer[current + i] = value
                            }
                            out[j] = buffer[current + m]
                            (older, previous, current) = (previous, current, older)
                        }
                    }
                }
            }
        }
        return result
    }
}
