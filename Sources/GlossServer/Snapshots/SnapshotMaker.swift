import GlossStore
import GlossCore
import Crypto
import Dispatch
import Foundation
public import Logging
import NIOCore

/// Builds and stores corpus snapshots (docs/protocol.md, "Snapshot"): `gloss-server snapshot
/// create` and the automatic builds of `serve --snapshot-every` both come here.
///
/// A build reads the corpus's latest position and epoch together (a consistent cut: every
/// change up to it has committed), starts from the corpus's previous snapshot when there is
/// one of the same epoch (only later changes are applied) or from an empty replica, applies
/// the stored changes page by page with GlossStore's pull code (``SnapshotBuilder``), and
/// stores the file as the corpus's snapshot in one short transaction. One build per corpus
/// at a time, across processes (``Storage/withSnapshotBuildLock(corpusID:_:)``).
public enum SnapshotMaker {
    /// What a build did.
    public struct Outcome: Sendable {
        /// The corpus's snapshot now.
        public var snapshot: SnapshotRecord
        /// Whether a new snapshot was made (`false`: the latest one was up to date).
        public var built: Bool
        /// Whether it started from the previous snapshot.
        public var incremental: Bool
        /// Changes applied in this build.
        public var applied: Int64
        public var duration: Duration
        /// ``duration`` in seconds.
        public var seconds: Double { duration.seconds }
    }

    /// Why a build did not happen.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case unknownCorpus(String)
        case busy(String)

        public var description: String {
            switch self {
            case .unknownCorpus(let name): return StorageError.unknownCorpus(name).description
            case .busy(let name):
                return "another snapshot of corpus '\(name)' is being built (by a server or another command); try again when it is done"
            }
        }
    }

    /// Changes read and applied per page: bounds memory as a pull page does.
    public static let pageSize = 1_000
    /// Wire JSON applied in one transaction at most (one change more if it alone is larger),
    /// as a pull page's 1 MiB.
    static let pageBytes = 1 << 20

    /// Builds the snapshot of `corpus` at its latest position, unless the latest snapshot is
    /// there already.
    /// - Throws: ``Failure/busy(_:)`` when another build of the corpus runs.
    public static func build(
        storage: any Storage, corpus: String, pageSize: Int = pageSize, logger: Logger? = nil
    ) async throws -> Outcome {
        guard let first = try await storage.snapshotTarget(corpus: corpus) else { throw Failure.unknownCorpus(corpus) }
        let outcome = try await storage.withSnapshotBuildLock(corpusID: first.corpusID) {
            try await buildLocked(storage: storage, corpus: corpus, pageSize: pageSize, logger: logger)
        }
        guard let outcome else { throw Failure.busy(corpus) }
        return outcome
    }

    private static func buildLocked(storage: any Storage, corpus: String, pageSize: Int, logger: Logger?) async throws -> Outcome {
        let start = ContinuousClock.now
        // Read under the lock: what a build that just finished stored counts.
        guard let target = try await storage.snapshotTarget(corpus: corpus) else { throw Failure.unknownCorpus(corpus) }
        let previous = try await storage.latestSnapshot(corpusID: target.corpusID)
        if let previous, previous.epoch == target.epoch, previous.position >= target.position {
            return Outcome(snapshot: previous, built: false, incremental: false, applied: 0, duration: .now - start)
        }
        let work = try storage.snapshotWorkDirectory()
        removeLeftovers(corpusID: target.corpusID, in: work)
        let name = "\(target.corpusID)-" + UUID().uuidString.lowercased()
        let workPath = (work as NSString).appendingPathComponent("\(name).building")
        let output = (work as NSString).appendingPathComponent("\(name).sqlite")
        var downloaded: String?
        defer {
            try? FileManager.default.removeItem(atPath: output)
            if let downloaded { try? FileManager.default.removeItem(atPath: downloaded) }
        }
        // The previous snapshot as a file here: its own on SQLite, a download on PostgreSQL.
        var previousPath: String?
        if let previous, previous.epoch == target.epoch {
            if let path = storage.snapshotFilePath(previous) {
                previousPath = path
            } else {
                let path = (work as NSString).appendingPathComponent("\(name).previous")
                downloaded = path
                do {
                    try await download(previous, from: storage, to: path)
                    previousPath = path
                } catch {
                    logger?.notice("snapshot: cannot read the previous snapshot, building from the start", metadata: ["corpus": "\(corpus)", "error": "\(error)"])
                }
            }
        }
        let builder = try await offload { [previousPath] in
            try SnapshotBuilder(corpus: corpus, epoch: target.epoch, workPath: workPath, previous: previousPath)
        }
        defer { builder.discard() }
        let incremental = builder.isIncremental
        var applied: Int64 = 0
        var after = builder.position
        while after < target.position {
            let page = try await storage.changeWires(corpusID: target.corpusID, after: after, upTo: target.position, limit: pageSize)
            guard !page.isEmpty else { break }
            // Applied in parts of about `pageBytes` of wire JSON, as pull pages are bounded:
            // a page of long articles is parsed and held a part at a time.
            var start = 0
            while start < page.count {
                var end = start
                var bytes = 0
                while end < page.count, end == start || bytes + page[end].wire.utf8.count <= pageBytes {
                    bytes += page[end].wire.utf8.count
                    end += 1
                }
                let part = page[start..<end]
                let cursor = part.last!.position
                try await offload { try builder.apply(part.map(\.wire), cursor: cursor) }
                start = end
            }
            applied += Int64(page.count)
            after = page.last!.position
        }
        guard after == target.position else {
            throw StorageError.corruptRecord("corpus \(corpus): changes up to position \(target.position) were read, but they end at \(after)")
        }
        let file = try await offload { try builder.finish(into: output, floor: min(target.floor, target.position)) }
        let record = try await storage.saveSnapshot(corpusID: target.corpusID, file: file)
        let outcome = Outcome(
            snapshot: record, built: record.sha256 == file.sha256 && record.position == file.position, incremental: incremental,
            applied: applied, duration: .now - start)
        logger?.info(
            "snapshot built",
            metadata: [
                "corpus": "\(corpus)", "position": "\(record.position)", "changes": "\(record.changes)", "bytes": "\(record.size)",
                "incremental": "\(incremental)", "applied": "\(applied)", "seconds": "\(outcome.duration.seconds)",
            ])
        return outcome
    }

    /// Removes work files of the corpus that an earlier build left (a process that died or
    /// stopped mid-build). Called under the corpus's build lock: no other build of it runs.
    static func removeLeftovers(corpusID: Int64, in work: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: work) else { return }
        for name in names where name.hasPrefix("\(corpusID)-") {
            try? FileManager.default.removeItem(atPath: (work as NSString).appendingPathComponent(name))
        }
    }

    /// Copies a stored snapshot into a new file at `path`.
    public static func download(_ snapshot: SnapshotRecord, from storage: any Storage, to path: String) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StorageError.corruptRecord("cannot create \(path)")
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? output.close() }
        let reader = try await storage.openSnapshot(snapshot, from: 0)
        do {
            while true {
                let bytes = try await reader.read(maxLength: 1 << 20)
                if bytes.readableBytes == 0 { break }
                try output.write(contentsOf: Data(bytes.readableBytesView))
            }
            await reader.close()
        } catch {
            await reader.close()
            throw error
        }
    }

    /// Runs blocking SQLite work on a thread of its own, not on the concurrency pool that
    /// serves requests.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(with: Result { try work() }) }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// SHA-256 and size of bytes given in pieces.
struct SnapshotHasher {
    private var hasher = SHA256()
    private var size: Int64 = 0

    mutating func update(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        size += Int64(bytes.readableBytes)
    }

    func finish() -> (size: Int64, sha256: String) {
        (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
