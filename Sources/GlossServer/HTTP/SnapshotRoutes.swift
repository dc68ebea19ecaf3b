import Hummingbird
import GlossCore
import NIOCore
import Foundation
import HTTPTypes

/// `GET` and `HEAD /v1/corpora/{corpus}/snapshot`: the corpus's latest snapshot, a ready
/// replica file (docs/protocol.md, "Snapshot"). Read scope.
///
/// - `200` with the whole file, streamed (never held in memory), `Content-Length`,
///   `Accept-Ranges: bytes`, `ETag` (the quoted SHA-256 of the file) and the
///   `Gloss-Snapshot-Position`, `-Epoch` and `-Changes` headers.
/// - `Range: bytes=N-`, `bytes=N-M` or `bytes=-N` (one range): `206` with `Content-Range`;
///   with `If-Range` naming another `ETag`, the whole file (`200`), as RFC 9110 says.
///   A range that starts past the end: `416 range_not_satisfiable` with
///   `Content-Range: bytes */SIZE`. Several ranges, or a `Range` that is not `bytes=…`
///   syntax, are ignored: the whole file (`200`).
/// - `If-None-Match` with the current `ETag` (or `*`): `304`.
/// - No snapshot of the corpus's current epoch: `404 no_snapshot`.
struct SnapshotRoutes {
    let storage: any Storage
    let metrics: ServerMetrics

    /// Bytes read from the storage and written per piece of the body.
    static let pieceSize = 256 * 1024

    func add(to group: RouterGroup<GlossRequestContext>) {
        group.on(.snapshot, method: .get) { request, context in try await serve(request, context, head: false) }
        group.on(.snapshot, method: .head) { request, context in try await serve(request, context, head: true) }
    }

    func serve(_ request: Request, _ context: GlossRequestContext, head: Bool) async throws -> Response {
        let grant = try context.grant(needs: .read)
        // A snapshot replaced between the lookup and the open is looked up again, once.
        var attempt = 0
        while true {
            attempt += 1
            guard let snapshot = try await storage.latestSnapshot(corpusID: grant.corpusID), snapshot.epoch == grant.epoch else {
                throw APIError(
                    .notFound, .noSnapshot,
                    "corpus '\(grant.corpus)' has no snapshot yet; pull its changes from position 0 instead "
                        + "(the server's admin makes one with 'gloss-server snapshot create --corpus \(grant.corpus)')")
            }
            do {
                return try await respond(request, snapshot: snapshot, head: head)
            } catch let error as StorageError where attempt < 2 {
                guard case .snapshotGone = error else { throw APIError.from(error) }
            } catch let error as StorageError {
                throw APIError.from(error)
            }
        }
    }

    func respond(_ request: Request, snapshot: SnapshotRecord, head: Bool) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = SnapshotHeaders.contentType
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = snapshot.etag
        headers[HTTPField.Name(SnapshotHeaders.position)!] = String(snapshot.position)
        headers[HTTPField.Name(SnapshotHeaders.epoch)!] = snapshot.epoch
        headers[HTTPField.Name(SnapshotHeaders.changes)!] = String(snapshot.changes)
        // Never transformed on the way: the hash is of these exact bytes.
        headers[.cacheControl] = "no-transform"

        if let match = request.headers[.ifNoneMatch] {
            let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if tags.contains("*") || tags.contains(snapshot.etag) || tags.contains("W/" + snapshot.etag) {
                return Response(status: .notModified, headers: headers, body: ResponseBody())
            }
        }

        var range: ClosedRange<Int64>? = nil
        if let header = request.headers[.range], request.headers[.ifRange].map({ $0 == snapshot.etag }) ?? true {
            switch Self.parseRange(header, size: snapshot.size) {
            case .whole: break
            case .range(let asked): range = asked
            case .unsatisfiable:
                var refusal = APIError(
                    .rangeNotSatisfiable, .rangeNotSatisfiable,
                    "the range '\(header)' lies outside the snapshot's \(snapshot.size) bytes; download it again from the start")
                refusal.contentRange = "bytes */\(snapshot.size)"
                throw refusal
            }
        }
        let start = range?.lowerBound ?? 0
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? snapshot.size
        headers[.contentLength] = String(length)
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(snapshot.size)" }
        let status: HTTPResponse.Status = range == nil ? .ok : .partialContent
        if head { return Response(status: status, headers: headers, body: ResponseBody()) }

        // Opened before answering: a snapshot replaced meanwhile is looked up again.
        let reader = try await storage.openSnapshot(snapshot, from: start)
        let metrics = self.metrics
        let body = ResponseBody(contentLength: Int(length)) { writer in
            var left = length
            do {
                while left > 0 {
                    let piece = try await reader.read(maxLength: Int(min(left, Int64(Self.pieceSize))))
                    // A file shorter than recorded: stop, and the short body tells the client.
                    guard piece.readableBytes > 0 else { throw StorageError.snapshotGone(corpus: snapshot.corpus) }
                    left -= Int64(piece.readableBytes)
                    try await writer.write(piece)
                    metrics.recordSnapshotBytes(piece.readableBytes)
                }
                await reader.close()
            } catch {
                await reader.close()
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    enum RangeAnswer: Equatable {
        /// No usable single range: send the whole file.
        case whole
        case range(ClosedRange<Int64>)
        case unsatisfiable
    }

    /// Reads a `Range` header against a file of `size` bytes (RFC 9110, 14.1.2): one
    /// `bytes=first-[last]` or `bytes=-suffix`. Several ranges or other syntax: the whole file.
    static func parseRange(_ header: String, size: Int64) -> RangeAnswer {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        let digits: (String) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }
        if first.isEmpty {
            // The last N bytes.
            guard digits(last), let suffix = Int64(last) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .range(max(0, size - suffix)...(size - 1))
        }
        guard digits(first), let from = Int64(first) else { return .whole }
        var to = size - 1
        if !last.isEmpty {
            guard digits(last), let asked = Int64(last), asked >= from else { return .whole }
            to = min(asked, size - 1)
        }
        guard from < size else { return .unsatisfiable }
        return .range(from...to)
    }
}
