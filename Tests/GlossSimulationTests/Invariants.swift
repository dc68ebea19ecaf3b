import GlossCore
import GlossStore

/// The checks after a run's final syncs (part 2 of the issue).
struct Invariants {
    let simulation: Simulation

    private func fail(_ message: String) { simulation.fail(message) }

    func checkFinal() {
        do {
            try check()
        } catch {
            fail("invariant check could not run: \(error)")
        }
    }

    private func check() throws {
        let server = simulation.server
        let replicas = simulation.replicas
        for problem in try server.check() { fail("server check: \(problem)") }

        // No change stored twice, on the server or any replica.
        let serverLog = try server.log()
        let serverDots = Set(serverLog.map(\.dot))
        if serverDots.count != serverLog.count { fail("the server serves a dot twice (\(serverLog.count) changes, \(serverDots.count) dots)") }
        let byDot = Dictionary(serverLog.map { ($0.dot, $0) }, uniquingKeysWith: { first, _ in first })

        // No acknowledged change missing, and every committed local change reached the server.
        // (Or a compaction dropped it as superseded; or its replica was rebuilt before sending it,
        // and made it again under its new id.)
        let history = simulation.history
        for (replica, seq) in history.acknowledged where seq > 0 {
            for s in 1...seq where !serverDots.contains(Dot(replica: replica, seq: s)) && !history.compacted.contains(Dot(replica: replica, seq: s)) {
                fail("acknowledged change \(replica):\(s) is not on the server")
            }
        }
        for dot in history.writes.keys where !serverDots.contains(dot) && !history.compacted.contains(dot) && !history.madeAgain(dot) {
            fail("committed local change \(dot) never reached the server")
        }

        // The server never records a replica as having seen more than it holds (the horizon
        // that compaction will trust): only a cursor held durably is ever sent as seen.
        let seen = try server.seenPositions()
        for replica in replicas {
            let id = try replica.store.replicaInfo().id.description
            let cursor = try replica.store.remote()?.cursor ?? 0
            if let recorded = seen[id], recorded > cursor {
                fail("the server records r\(replica.index) as having seen position \(recorded), beyond its cursor \(cursor)")
            }
        }
        // And it does record: the second converge round starts from cursors at the latest position.
        if !serverLog.isEmpty, !seen.values.contains(where: { $0 > 0 }) {
            fail("the server recorded no replica as having seen anything: \(seen)")
        }

        let serverFrontier = try server.frontier()
        if serverFrontier != Self.maximalVersions(serverLog) {
            fail("the server's frontier is not the log's maximal versions:\n  server \(serverFrontier)\n  log    \(Self.maximalVersions(serverLog))")
        }
        var exports: [String] = []
        for replica in replicas {
            let name = "r\(replica.index)"
            let report = try replica.store.doctor()
            if !report.isHealthy { fail("\(name) doctor: \(report.problems.prefix(5))") }
            let log = try replica.log()
            let dots = Set(log.map(\.dot))
            if dots.count != log.count { fail("\(name) holds a dot twice") }
            // Every change the server holds, and none it never had (what a compaction dropped
            // may stay on a replica that has not compacted, or go from one that has).
            let extra = dots.subtracting(serverDots).subtracting(history.compacted)
            if !extra.isEmpty || !serverDots.isSubset(of: dots) {
                fail("\(name) holds \(extra.sorted().prefix(5)) the server never had, "
                    + "and lacks \(serverDots.subtracting(dots).sorted().prefix(5))")
            }
            for change in log {
                if let stored = byDot[change.dot], !Self.same(stored, change) {
                    fail("\(name) holds \(change.dot) with other contents than the server")
                }
            }
            let frontier = try replica.frontier()
            if frontier != serverFrontier { fail("\(name)'s frontier differs from the server's:\n  \(frontier)\n  \(serverFrontier)") }
            guard case .document(let export) = try replica.store.export(.json) else { continue }
            exports.append(export)
            if export != exports[0] {
                fail("\(name)'s export differs from r0's: " + Self.firstDifference(exports[0], export))
            }
            // Who wrote what, over the whole history: what compactions dropped too.
            checkViews(of: replica, log: serverLog + history.compactedChanges.values.sorted { $0.dot < $1.dot })
        }
    }

    /// What a replica shows is what the log says (every value written by someone; every
    /// live concurrent write of a field visible as a conflict).
    private func checkViews(of replica: SimulatedReplica, log: [Change]) {
        guard let snapshot = try? EntitySnapshot(replica) else { return fail("r\(replica.index): cannot read its tables") }
        var changesOf: [EntitySnapshot.Key: [Change]] = [:]
        for change in log { changesOf[EntitySnapshot.Key(kind: change.kind, id: change.entity), default: []].append(change) }
        for (key, changes) in changesOf {
            let name = "r\(replica.index) \(key.kind) \(key.id)"
            let entry = snapshot.entries[key]
            let maximal = changes.filter { u in !changes.contains { $0.dot != u.dot && u.clock.isDominated(by: $0.clock) } }
            let liveMaximal = maximal.filter { $0.operation == .put }
            if key.kind == .annotation {
                if liveMaximal.isEmpty, entry?.content != nil { fail("\(name) is shown, but every latest version deletes it") }
                if !liveMaximal.isEmpty, entry?.content == nil { fail("\(name) is hidden, but a latest version keeps it") }
            } else if !liveMaximal.isEmpty, entry?.content == nil {
                fail("\(name) is hidden, but a latest version keeps it")
            }
            if !liveMaximal.isEmpty, liveMaximal.count < maximal.count, entry?.deletedBy.isEmpty ?? true {
                fail("\(name): an edit raced a deletion, and no delete conflict shows")
            }
            guard let content = entry?.content else { continue }
            let contents = changes.map { change in (change, change.content.flatMap { try? JSONParser.parse($0) }?.objectValue) }
            var fields = Set<String>()
            for (_, object) in contents { fields.formUnion(object?.keys ?? [:].keys) }
            fields.remove(ReservedField.conflicts)
            for field in fields.sorted() {
                if ReservedField.setFields.contains(field) {
                    var written = Set<String>()
                    for (_, object) in contents { written.formUnion(object?[field]?.stringArrayValue ?? []) }
                    for tag in content[field]?.stringArrayValue ?? [] where !written.contains(tag) {
                        fail("\(name) shows tag \(tag) that no change wrote")
                    }
                    continue
                }
                checkRegister(field, name: name, content: content, conflicts: entry?.conflicts[field], contents: contents)
            }
        }
    }

    /// Every pair of concurrent edits of a register field is visible as a conflict, unless a
    /// later change saw it: an edit is live when no change that saw it set the field again or
    /// deleted the entity, and all live edits' values must be among the conflict's candidates.
    /// Creations are not edits: an entity created twice with the same content (the same
    /// article imported on two replicas) is one entity, and the merge uses it as the common
    /// ancestor. Every value shown must also have been written by some change.
    private func checkRegister(
        _ field: String, name: String, content: EntityContent, conflicts: [JSONValue?]?, contents: [(Change, EntityContent?)]
    ) {
        let writes = simulation.history.writes
        let writers = contents.filter { change, object in object != nil && (writes[change.dot]?.sets(field) ?? true) }
        let written = Set(writers.map { $0.1?[field] })
        // A text field may show a three-way merge of concurrent corrections (checked below).
        let mergesText = ReservedField.textFields.contains(field) && conflicts == nil
        if let shown = content[field], !written.contains(shown), !mergesText {
            fail("\(name) shows \(field) = \(shown), which no change wrote")
        }
        for value in conflicts ?? [] where !written.contains(value) {
            fail("\(name) has a \(field) conflict candidate \(String(describing: value)) that no change wrote")
        }
        let edits = writers.filter { change, _ in writes[change.dot]?.fields != nil }
        let live = edits.filter { u, _ in
            !contents.contains { w, object in
                w.dot != u.dot && u.clock.isDominated(by: w.clock)
                    && (w.operation == .delete || (object != nil && (writes[w.dot]?.sets(field) ?? true)))
            }
        }
        let values = Set(live.map { $0.1?[field] })
        guard values.count > 1 else { return }
        if mergesText {
            return checkMergedText(field, name: name, shown: content[field]?.stringValue, live: live, contents: contents)
        }
        let candidates = Set(conflicts ?? [])
        if !values.isSubset(of: candidates) {
            fail(
                "\(name): concurrent edits of \(field) by \(live.map(\.0.dot)) (values \(values.map(Self.show))) "
                    + "are not all visible as a conflict (candidates \(candidates.map(Self.show)))\n"
                    + Self.dump(contents, field: field, writes: writes))
        }
    }

    /// Concurrent corrections of a text shown without a conflict: the shown text must hold
    /// every live correction, that is, applying a correction (its writer's text against the
    /// text it replaced) to the shown text again changes nothing.
    private func checkMergedText(
        _ field: String, name: String, shown: String?, live: [(Change, EntityContent?)], contents: [(Change, EntityContent?)]
    ) {
        guard let shown else { return fail("\(name) shows no \(field), though concurrent corrections of it are live") }
        let byDot = Dictionary(contents.map { ($0.0.dot, $0.1) }, uniquingKeysWith: { first, _ in first })
        for (change, object) in live {
            guard let corrected = object?[field]?.stringValue else { continue }
            let parents = Set(change.replaces.compactMap { byDot[$0]??[field]?.stringValue })
            guard parents.count == 1, let parent = parents.first else { continue }  // a merge of several: no single correction
            // `nil` proves nothing: the diffs of parent → shown and parent → corrected may
            // align a moved paragraph differently, and then the re-merge conflicts.
            if let again = TextMerge.merge(base: parent, shown, corrected), again != shown,
                !Self.onlyLengthensARun(shown: shown, again: again, parent: parent, corrected: corrected)
            {
                fail("\(name) shows a \(field) that lost the correction of \(change.dot) (no conflict shown)")
            }
        }
    }

    /// Whether the re-merge only made a run of one repeated scalar longer (`again` is `shown`
    /// with more of it, in one place), the correction did nothing but lengthen a run of that
    /// scalar the parent had, and `shown`'s run there is already as long as the correction's. Then the
    /// correction is in `shown`; the diffs against the parent merely aligned the insertion
    /// at another place of a run of equal scalars (a line break added next to a paragraph
    /// that moved concurrently: seed 811). A shorter run in `shown` is still a lost correction.
    static func onlyLengthensARun(shown: String, again: String, parent: String, corrected: String) -> Bool {
        guard let (scalar, at) = insertedRun(from: Array(shown.unicodeScalars), to: Array(again.unicodeScalars)),
            let (inserted, position) = insertedRun(from: Array(parent.unicodeScalars), to: Array(corrected.unicodeScalars)),
            inserted == scalar,
            // Only the lengthening of a run the parent had is ambiguous to align.
            runLength(of: scalar, around: position, in: Array(parent.unicodeScalars)) > 0
        else { return false }
        return runLength(of: scalar, around: at, in: Array(shown.unicodeScalars))
            >= runLength(of: scalar, around: position, in: Array(corrected.unicodeScalars))
    }

    /// When `after` is `before` with copies of one scalar inserted in one place: that scalar
    /// and the place (in `before`).
    private static func insertedRun(from before: [Unicode.Scalar], to after: [Unicode.Scalar]) -> (Unicode.Scalar, Int)? {
        guard after.count > before.count else { return nil }
        var prefix = 0
        while prefix < before.count, before[prefix] == after[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < before.count - prefix, before[before.count - 1 - suffix] == after[after.count - 1 - suffix] { suffix += 1 }
        guard prefix + suffix == before.count else { return nil }
        let inserted = after[prefix..<(after.count - suffix)]
        guard let first = inserted.first, inserted.allSatisfy({ $0 == first }) else { return nil }
        return (first, prefix)
    }

    /// How many `scalar`s stand together in `text` at the place `index` (before it and from it on).
    private static func runLength(of scalar: Unicode.Scalar, around index: Int, in text: [Unicode.Scalar]) -> Int {
        var start = min(index, text.count)
        while start > 0, text[start - 1] == scalar { start -= 1 }
        var end = min(index, text.count)
        while end < text.count, text[end] == scalar { end += 1 }
        return end - start
    }

    static func show(_ value: JSONValue?) -> String { value.map { CanonicalJSON.string($0) } ?? "absent" }

    /// An entity's history, for a failure message.
    static func dump(_ contents: [(Change, EntityContent?)], field: String, writes: [Dot: History.Write]) -> String {
        contents.map { change, object in
            let fields = writes[change.dot].map { $0.isDeletion ? "delete" : $0.fields.map { "sets \($0.sorted())" } ?? "creates" } ?? "?"
            let carried = object?[ReservedField.conflicts]?[field].map { " carries " + CanonicalJSON.string($0) } ?? ""
            return "    \(change.dot) clock \(change.clock) \(fields): \(field) = \(show(object?[field]))\(carried)"
        }.joined(separator: "\n")
    }

    /// The versions no other version of the same entity dominates, as frontier rows.
    static func maximalVersions(_ log: [Change]) -> [String] {
        var byEntity: [String: [Change]] = [:]
        for change in log { byEntity["\(change.kind.rawValue) \(change.entity)", default: []].append(change) }
        var rows: [String] = []
        for (key, changes) in byEntity {
            for u in changes where !changes.contains(where: { $0.dot != u.dot && u.clock.isDominated(by: $0.clock) }) {
                rows.append("\(key) \(u.dot.replica):\(u.dot.seq)")
            }
        }
        return rows.sorted { lhs, rhs in
            // The tables sort by kind, entity, replica, then seq as a number.
            let l = lhs.split(separator: ":"), r = rhs.split(separator: ":")
            return l[0] != r[0] ? l[0] < r[0] : (Int(l[1]) ?? 0) < (Int(r[1]) ?? 0)
        }
    }

    /// Two changes under one dot say the same thing (the server adds `author`).
    static func same(_ a: Change, _ b: Change) -> Bool {
        a.dot == b.dot && a.kind == b.kind && a.entity == b.entity && a.operation == b.operation && a.clock == b.clock
            && a.timestamp == b.timestamp && a.replaces == b.replaces && a.content == b.content
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? String(left[index]) : "<end>"
            let r = index < right.count ? String(right[index]) : "<end>"
            if l != r { return "line \(index + 1): \(l.prefix(200)) vs \(r.prefix(200))" }
        }
        return "same lines"
    }
}
