import Foundation
import GlossCore
import GlossStore

/// Whether a sync started from the server's snapshot, and why not when it did not.
public struct SnapshotReport: Sendable, Hashable {
    /// Whether the replica adopted a snapshot in this sync.
    public var used: Bool
    /// The position it was built at (the pull went on after it), its changes and size.
    public var position: Int64?
    public var changes: Int64?
    public var bytes: Int64?
    /// Why none was used: the server has none, it was refused (and why), the download failed.
    public var reason: String?

    /// The ``reason`` when the server has no snapshot (nothing went wrong).
    public static let noSnapshot = "the server has no snapshot"

    public init(used: Bool, position: Int64? = nil, changes: Int64? = nil, bytes: Int64? = nil, reason: String? = nil) {
        self.used = used
        self.position = position
        self.changes = changes
        self.bytes = bytes
        self.reason = reason
    }
}

extension SyncEngine {
    /// A first sync of an empty replica starts from the server's snapshot when there is
    /// one: downloaded (resuming after a cut connection), checked as untrusted input and
    /// adopted, then the pull goes on after its position. Whatever goes wrong here (no
    /// snapshot, a refused one, a download that keeps failing) leaves the replica as it
    /// was and the sync replays the log as it always could.
    func bootstrapFromSnapshot() throws {
        guard options.useSnapshot, try store.canAdoptSnapshot() else { return }
        let file = try DownloadFile(path: try store.snapshotDownloadFile())
        defer { store.removeSnapshotDownload() }
        let claim: SnapshotClaim
        do {
            guard let downloaded = try downloadSnapshot(into: file) else {
                report.snapshot = SnapshotReport(used: false, reason: SnapshotReport.noSnapshot)
                return
            }
            claim = downloaded
        } catch let error as SyncError {
            // A server that cannot hand its snapshot over may still serve its log.
            switch error {
            case .unreachable, .serverFailing, .invalidResponse:
                report.snapshot = SnapshotReport(used: false, reason: "the download failed: \(error)")
                return
            default: throw error
            }
        }
        do {
            switch try store.adoptSnapshot(at: file.path, claim: claim, fileSHA256: file.sha256) {
            case .adopted(let position, let changes, let bytes):
                report.snapshot = SnapshotReport(used: true, position: position, changes: changes, bytes: bytes)
                report.pullStart = position
                report.pullCursor = position
                options.progress?(report)
            case .replicaNotEmpty:
                report.snapshot = SnapshotReport(used: false, reason: "the replica was written to meanwhile")
            }
        } catch StoreError.snapshotRefused(let refusal) {
            report.snapshot = SnapshotReport(used: false, reason: "refused: \(refusal)")
        }
    }

    /// Downloads the snapshot into `file`, resuming with `Range` and `If-Range` after a
    /// transient failure (as many attempts as any request gets).
    /// - Returns: what the server announced, or `nil` when it has no snapshot.
    private func downloadSnapshot(into file: DownloadFile) throws -> SnapshotClaim? {
        let path = WireRoute.snapshotPath(remote.corpus)
        var announced: (claim: SnapshotClaim, etag: String, size: Int64)?
        var delay = options.backoff
        for attempt in 1...options.attempts {
            guard !options.cancellation.isCancelled else { throw SyncError.cancelled }
            var request = HTTPRequest(method: .get, path: path, headers: headers)
            let have = file.size
            if let announced, have > 0 {
                request.headers.append(("Range", "bytes=\(have)-"))
                request.headers.append(("If-Range", announced.etag))
            }
            report.requests += 1
            let response: HTTPResponse
            do {
                response = try transport.download(request, into: file, cancellation: options.cancellation)
            } catch {
                if error == .cancelled { throw SyncError.cancelled }
                guard error.isTransient, attempt < options.attempts else {
                    throw SyncError.unreachable(url: remote.url, reason: error.description)
                }
                guard options.cancellation.sleep(seconds: delay) else { throw SyncError.cancelled }
                delay = min(delay * 2, 10)
                continue
            }
            switch response.status {
            case 200, 206:
                let current = try Self.announcement(of: response, corpus: remote.corpus)
                if response.status == 206, current.etag != announced?.etag {
                    throw SyncError.invalidResponse("the server resumed a snapshot download with another snapshot")
                }
                announced = current
                let size = file.size
                if size == current.size { return current.claim }
                guard size < current.size else {
                    throw SyncError.invalidResponse("the snapshot is longer than the server announced")
                }
            // Short: the connection was cut; go on from what arrived.
            case 404:
                // `no_snapshot`; or a server older than snapshots, or no such corpus,
                // which the pull then reports.
                return nil
            case 416:
                // What we hold is not a prefix of the current snapshot: start again.
                try file.restart()
                announced = nil
            case 429, 500...:
                break
            default:
                throw Self.failure(response, corpus: remote.corpus)
            }
            if attempt < options.attempts {
                guard options.cancellation.sleep(seconds: delay) else { throw SyncError.cancelled }
                delay = min(delay * 2, 10)
            }
        }
        throw SyncError.unreachable(url: remote.url, reason: "the snapshot download did not complete in \(options.attempts) attempts")
    }

    /// The snapshot's claims from a 200 or 206 answer's headers.
    private static func announcement(of response: HTTPResponse, corpus: String) throws -> (
        claim: SnapshotClaim, etag: String, size: Int64
    ) {
        func missing(_ name: String) -> SyncError { .invalidResponse("a snapshot answer without a valid \(name) header") }
        guard let etag = response.header("ETag"), let sha256 = SnapshotHeaders.sha256Hex(etag: etag) else { throw missing("ETag") }
        guard let position = response.header(SnapshotHeaders.position).flatMap({ Int64($0) }), position >= 0 else {
            throw missing(SnapshotHeaders.position)
        }
        guard let epoch = response.header(SnapshotHeaders.epoch), !epoch.isEmpty else { throw missing(SnapshotHeaders.epoch) }
        guard let changes = response.header(SnapshotHeaders.changes).flatMap({ Int64($0) }), changes >= 0 else {
            throw missing(SnapshotHeaders.changes)
        }
        let size: Int64?
        if response.status == 206 {
            // Content-Range: bytes START-END/TOTAL
            size = response.header("Content-Range")?.split(separator: "/").last.flatMap { Int64($0) }
        } else {
            size = response.header("Content-Length").flatMap { Int64($0) }
        }
        guard let size, size > 0 else { throw missing(response.status == 206 ? "Content-Range" : "Content-Length") }
        let claim = SnapshotClaim(corpus: corpus, epoch: epoch, position: position, changes: changes, sha256: sha256)
        return (claim, etag, size)
    }
}
