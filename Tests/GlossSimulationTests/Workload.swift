import Foundation
import GlossCore
import GlossStore
import GlossSync

/// The operations a run draws from, with their weights.
enum Operation: CaseIterable {
    case annotate, editNote, editLabel, editColor, addTag, removeTag, editArticle, deleteAnnotation, deleteArticle
    case resolve, importSeed, importExport, sync, crashReplica, crashServer, clockJump, correctArticle, newDevice
    // Drawn only in runs with compaction (the weights of the others, and so every seed's
    // run without compaction, stay as they were).
    case compactServer, compactReplica, retireReplica, settle

    func weight(compaction: Bool) -> Int {
        switch self {
        case .compactServer: return compaction ? 5 : 0
        case .settle: return compaction ? 4 : 0
        case .compactReplica: return compaction ? 3 : 0
        case .retireReplica: return compaction ? 2 : 0
        default: return weight
        }
    }

    private var weight: Int {
        switch self {
        case .compactServer, .compactReplica, .retireReplica, .settle: return 0
        case .annotate: return 22
        case .editNote: return 12
        case .editLabel: return 6
        case .editColor: return 4
        case .addTag: return 7
        case .removeTag: return 5
        case .editArticle: return 3
        case .deleteAnnotation: return 4
        case .deleteArticle: return 1
        case .resolve: return 8
        case .importSeed: return 2
        case .importExport: return 2
        case .sync: return 24
        case .crashReplica: return 3
        case .crashServer: return 2
        case .clockJump: return 3
        case .correctArticle: return 3
        case .newDevice: return 2
        }
    }
}

extension Simulation {
    /// Draws one operation and performs it on a random replica.
    func step(_ number: Int) {
        world.now += Int64(random.int(0...1_500))
        let replica = random.pick(replicas)
        let operation = Operation.allCases[random.weighted(Operation.allCases.map { $0.weight(compaction: config.compaction) })]
        let prefix = "#\(number) r\(replica.index)"
        switch operation {
        case .annotate:
            let articles = visibleArticles(replica)
            guard !articles.isEmpty else { return trace("\(prefix) annotate: no article") }
            let article = random.pick(articles)
            let anchor: Anchor
            if random.chance(0.3) {
                anchor = .quote(random.pick(SimulationCorpus.quotes), occurrence: random.chance(0.3) ? nil : random.int(1...3))
            } else {
                let length = article.text.unicodeScalars.count
                let start = random.int(0...max(0, length - 30))
                anchor = .range(start: start, end: start + random.int(1...25))
            }
            let fields = AnnotationFields(
                note: random.chance(0.7) ? random.pick(SimulationCorpus.notes) : nil,
                tags: random.chance(0.5) ? [random.pick(SimulationCorpus.tags)] : [],
                label: random.chance(0.5) ? random.pick(SimulationCorpus.labels) : nil,
                color: random.chance(0.3) ? random.pick(SimulationCorpus.colors) : nil)
            localWrite(replica, "\(prefix) annotate \(article.id.prefix(6)) \(anchor)") {
                "made " + (try replica.store.annotate(articleID: article.id, anchor: anchor, fields: fields)).id
            }
        case .editNote, .editLabel, .editColor, .addTag, .removeTag:
            let annotations = visibleAnnotations(replica)
            guard !annotations.isEmpty else { return trace("\(prefix) \(operation): no annotation") }
            let id = random.pick(annotations)
            var edit = AnnotationEdit()
            switch operation {
            case .editNote: edit.note = random.pick(SimulationCorpus.notes)
            case .editLabel: edit.label = random.pick(SimulationCorpus.labels)
            case .editColor: edit.color = random.pick(SimulationCorpus.colors)
            case .addTag: edit.addTags = [random.pick(SimulationCorpus.tags)]
            default: edit.removeTags = [random.pick(SimulationCorpus.tags)]
            }
            localWrite(replica, "\(prefix) edit \(id) \(edit)") {
                let outcome = try replica.store.editAnnotation(id, edit)
                if let note = edit.note, outcome.annotation.note != (note.isEmpty ? nil : note) {
                    self.fail("\(prefix): the edit set note \(note), the annotation shows \(outcome.annotation.note ?? "nil")")
                }
                return "settled \(outcome.settled), still conflicted \(outcome.stillConflicted)"
            }
        case .editArticle:
            let articles = visibleArticles(replica)
            guard !articles.isEmpty else { return trace("\(prefix) edit article: no article") }
            let article = random.pick(articles)
            let title = random.chance(0.5) ? random.pick(SimulationCorpus.titles) : nil
            let add = random.chance(0.5) ? [random.pick(SimulationCorpus.tags)] : []
            let remove = add.isEmpty ? [random.pick(SimulationCorpus.tags)] : []
            localWrite(replica, "\(prefix) edit article \(article.id.prefix(6)) title \(title ?? "-") +\(add) -\(remove)") {
                _ = try replica.store.editArticle(article.id, title: title, addTags: add, removeTags: remove)
                return "ok"
            }
        case .deleteAnnotation:
            let annotations = visibleAnnotations(replica)
            guard !annotations.isEmpty else { return trace("\(prefix) delete: no annotation") }
            let id = random.pick(annotations)
            localWrite(replica, "\(prefix) delete \(id)") { try replica.store.deleteAnnotation(id) }
        case .deleteArticle:
            let articles = visibleArticles(replica)
            guard !articles.isEmpty else { return trace("\(prefix) delete article: no article") }
            let id = random.pick(articles).id
            localWrite(replica, "\(prefix) delete article \(id.prefix(6))") { try replica.store.deleteArticle(id) }
        case .resolve:
            resolve(replica, prefix: prefix)
        case .importSeed:
            let article = random.pick(SimulationCorpus.articles)
            localWrite(replica, "\(prefix) import seed \(article.id.prefix(6))") {
                "\(try replica.store.importItems([.article(article, authoritative: false)]))"
            }
        case .importExport:
            let other = random.pick(replicas)
            let items: [ImportItem]
            do {
                guard case .document(let text) = try other.store.export(.jsonl) else { return fail("jsonl export is not a document") }
                guard !text.isEmpty else { return trace("\(prefix) import r\(other.index)'s export: it is empty") }
                items = try JSONLines.parse(text)
            } catch {
                return fail("\(prefix) cannot read r\(other.index)'s export: \(error)")
            }
            localWrite(replica, "\(prefix) import r\(other.index)'s export (\(items.count) items)") {
                let summary = try replica.store.importItems(items)
                return "new \(summary.articlesImported)+\(summary.annotationsImported), updated \(summary.updated), skipped \(summary.skipped.count)"
            }
        case .sync:
            sync(replica, prefix: prefix)
        case .newDevice:
            newDevice(prefix: "#\(number)")
        case .crashReplica:
            crash(replica, prefix: prefix)
        case .crashServer:
            network.counts.serverCrashes += 1
            do {
                try server.crash()
                trace("\(prefix) server crash")
            } catch {
                fail("\(prefix) the server cannot reopen: \(error)")
            }
        case .compactServer:
            compactServer(prefix: prefix)
        case .compactReplica:
            compactReplica(replica, prefix: prefix)
        case .retireReplica:
            retire(replica, prefix: prefix)
        case .settle:
            // Every replica syncs, so the server records what each has seen and the horizon
            // can rise (through the faulty network: some of these syncs fail).
            for other in replicas { sync(other, prefix: "\(prefix) settle r\(other.index)") }
        case .clockJump:
            replica.clock.skew = Int64(random.int(-3 * 3_600_000...3 * 3_600_000))
            trace("\(prefix) clock skew \(replica.clock.skew) ms")
        case .correctArticle:
            let articles = visibleArticles(replica)
            guard !articles.isEmpty else { return trace("\(prefix) correct article: no article") }
            let article = random.pick(articles)
            let (corrected, what) = correction(of: article.text)
            localWrite(replica, "\(prefix) correct article \(article.id.prefix(6)): \(what)") {
                _ = try replica.store.editArticle(article.id, title: nil, addTags: [], removeTags: [], text: corrected)
                return "ok"
            }
        }
    }

    /// A correction of `text` of the kinds news texts get: words deleted or inserted, a
    /// letter fixed (Turkish pairs), a paragraph moved or its break changed.
    func correction(of text: String) -> (String, String) {
        var scalars = Array(text.unicodeScalars)
        let count = scalars.count
        let at = random.int(min(14, count - 1)...(count - 1))
        let what: String
        switch random.int(0...4) {
        case 0:
            let length = random.int(1...min(20, count - at))
            scalars.removeSubrange(at..<(at + length))
            what = "deleted \(length) at \(at)"
        case 1:
            let words = random.pick([" ve ", " kentte ", "Yeni cümle. ", " ığüşöç ", " 🙂 "])
            scalars.insert(contentsOf: words.unicodeScalars, at: at)
            what = "inserted '\(words)' at \(at)"
        case 2:
            let pairs: [(Unicode.Scalar, Unicode.Scalar)] = [("ı", "i"), ("ş", "s"), ("ğ", "g"), ("ü", "u"), ("ö", "o"), ("ç", "c")]
            guard let index = (at..<count).first(where: { index in pairs.contains { $0.0 == scalars[index] || $0.1 == scalars[index] } })
            else { return (text + "\n", "appended a line break") }
            let pair = pairs.first { $0.0 == scalars[index] || $0.1 == scalars[index] }!
            scalars[index] = scalars[index] == pair.0 ? pair.1 : pair.0
            what = "letter fixed at \(index)"
        case 3:
            var paragraphs = text.components(separatedBy: "\n\n")
            guard paragraphs.count > 2 else { return (text + "\n", "appended a line break") }
            let moved = paragraphs.remove(at: random.int(1...(paragraphs.count - 1)))
            paragraphs.insert(moved, at: random.int(1...paragraphs.count))
            let result = paragraphs.joined(separator: "\n\n")
            return result == text ? (text + "\n", "appended a line break") : (result, "moved a paragraph")
        default:
            guard let index = (at..<count).first(where: { scalars[$0] == "\n" }) else { return (text + "\n", "appended a line break") }
            scalars.insert("\n", at: index)
            what = "paragraph break changed at \(index)"
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        let result = String(view)
        return result == text ? (text + "\n", "appended a line break") : (UnicodeNormalization.nfc(result), what)
    }

    /// Live articles of a replica, in a seed-stable order.
    func visibleArticles(_ replica: SimulatedReplica) -> [Article] {
        ((try? replica.store.articles()) ?? []).map(\.article).sorted { $0.id < $1.id }
    }

    /// Live annotations of a replica (those of deleted articles too), in workload order.
    func visibleAnnotations(_ replica: SimulatedReplica) -> [String] {
        let snapshot = try? EntitySnapshot(replica)
        let ids = (snapshot?.entries ?? [:]).filter { $0.key.kind == .annotation && $0.value.content != nil }.map(\.key.id)
        return history.ordered(Set(ids))
    }

    func resolve(_ replica: SimulatedReplica, prefix: String) {
        let entries: [ConflictEntry]
        do {
            entries = try replica.store.conflicts()
        } catch {
            return fail("\(prefix) conflicts() failed: \(error)")
        }
        guard !entries.isEmpty else { return trace("\(prefix) resolve: no conflict") }
        let order = history.ordered(Set(entries.map(\.id)))
        let id = order[random.int(0...(order.count - 1))]
        guard let entry = entries.first(where: { $0.id == id }) else { return }
        let choice: ResolveChoice
        switch random.int(0...2) {
        case 0: choice = .mine
        case 1: choice = .theirs
        default: choice = .pick(random.pick(entry.versions.map(\.dot.description).sorted()))
        }
        localWrite(replica, "\(prefix) resolve \(entry.kind) \(id.prefix(8)) \(choice)") {
            let result = try replica.store.resolve(id, choice: choice)
            return result.deleted ? "deleted" : "kept"
        }
    }

    func sync(_ replica: SimulatedReplica, prefix: String) {
        var options = SyncOptions()
        options.backoff = 0
        options.attempts = random.int(2...4)
        options.batchSize = random.int(1...6)
        options.pageSize = random.int(1...6)
        let crashes = random.chance(0.1)
        if crashes {
            network.crashAtRequest = random.int(1...6)
            network.crashAfterDelivery = random.chance(0.5)
        }
        do {
            let report = try replica.sync(network: network, options: options)
            if let used = report.snapshot, used.used, (used.position ?? 0) > 0 { network.counts.snapshotsAdopted += 1 }
            let snapshot = report.snapshot.map { $0.used ? ", from a snapshot at \($0.position ?? 0)" : ", no snapshot: \($0.reason ?? "")" } ?? ""
            trace("\(prefix) sync: \(report.pushed) pushed, \(report.pulled) pulled, \(report.requests) requests\(snapshot)")
        } catch {
            switch error {
            case .unreachable, .serverFailing: trace("\(prefix) sync failed: \(error)")
            default: fail("\(prefix) sync failed unexpectedly: \(error)")
            }
        }
        noteRebuild(replica, prefix: prefix)
        if network.crashAtRequest == nil, crashes {
            crash(replica, prefix: prefix)
        }
        network.crashAtRequest = nil
        checkAcknowledged(prefix)
    }

    /// Reopens a replica from disk and checks it lost nothing it had committed.
    func crash(_ replica: SimulatedReplica, prefix: String) {
        do {
            try replica.crash()
            noteRebuild(replica, prefix: prefix)
            let seq = try replica.ownMaxSeq()
            if seq < replica.committedSeq { fail("\(prefix) r\(replica.index) lost committed changes: seq \(seq) < \(replica.committedSeq)") }
            let report = try replica.store.doctor()
            if !report.isHealthy { fail("\(prefix) r\(replica.index) after a crash: doctor: \(report.problems)") }
            trace("\(prefix) crash and reopen r\(replica.index)")
        } catch {
            fail("\(prefix) r\(replica.index) cannot reopen: \(error)")
        }
    }

    /// Records that a sync (perhaps cut short) rebuilt the replica under a new id.
    func noteRebuild(_ replica: SimulatedReplica, prefix: String) {
        do {
            if let old = try replica.refreshIdentity() {
                history.rebuilt(old)
                network.counts.rebuilds += 1
                trace("\(prefix) r\(replica.index) rebuilt: \(old) is now \(replica.id)")
            }
        } catch {
            fail("\(prefix) r\(replica.index): cannot read its identity: \(error)")
        }
    }

    /// Runs a local write, records which fields each change it made set, and sorts its
    /// refusals (expected: a quote not found, nothing to resolve) from failures.
    func localWrite(_ replica: SimulatedReplica, _ label: String, _ body: () throws -> String) {
        do {
            let before = try EntitySnapshot(replica)
            let position = try replica.lastPosition()
            let detail: String
            do {
                detail = try body()
            } catch let error as StoreError where Self.isRefusal(error) {
                return trace("\(label): refused: \(error)")
            }
            trace("\(label): \(detail)")
            for (_, change) in try replica.store.changes(afterPosition: position, replica: replica.id) {
                history.record(
                    History.Write(
                        dot: change.dot, kind: change.kind, entity: change.entity, fields: before.fieldsSet(by: change),
                        isDeletion: change.operation == .delete))
            }
            replica.committedSeq = try replica.ownMaxSeq()
        } catch {
            fail("\(label) failed unexpectedly: \(error)")
        }
    }

    static func isRefusal(_ error: StoreError) -> Bool {
        switch error {
        case .notFound, .articleDeleted, .quoteNotFound, .quoteAmbiguous, .occurrenceOutOfRange, .invalid, .nothingToEdit,
            .notConflicted, .noSuchVersion, .ambiguousSide, .unresolvedFields, .ambiguousID:
            return true
        default:
            return false
        }
    }
}
