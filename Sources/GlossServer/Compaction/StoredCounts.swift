/// What `check()` expects of a corpus's stored positions and of a replica's stored seqs,
/// the same on both backends.
///
/// A corpus never compacted (floor 0) stores positions 1…latest without gaps and every
/// replica's seqs 1…max. Compaction drops changes, leaving gaps in both, so once the floor
/// is above 0 only the bounds are checked: nothing stored beyond the latest position or the
/// replica's highest seq, and no more rows than either.
enum StoredCounts {
    static func corpusProblems(name: String, last: Int64, floor: Int64, compactedThrough: Int64, stored: Int64, top: Int64) -> [String] {
        var problems: [String] = []
        if floor == 0 {
            if stored != last || top != last { problems.append("corpus \(name): positions are not 1…\(last) without gaps") }
        } else if stored > last || top > last {
            problems.append("corpus \(name): \(stored) changes are stored up to position \(top), beyond its latest position \(last)")
        }
        if floor > last { problems.append("corpus \(name): its compaction floor \(floor) is beyond its latest position \(last)") }
        if compactedThrough > floor {
            problems.append("corpus \(name): it is recorded as compacted through position \(compactedThrough), beyond its floor \(floor)")
        }
        return problems
    }

    static func replicaProblems(replica: String, maxSeq: Int64, floor: Int64, stored: Int64, top: Int64) -> [String] {
        if floor == 0 {
            return stored != maxSeq || top != maxSeq ? ["replica \(replica): stored seqs are not 1…\(maxSeq)"] : []
        }
        return stored > maxSeq || top > maxSeq ? ["replica \(replica): seqs up to \(top) are stored, beyond its highest seq \(maxSeq)"] : []
    }
}
