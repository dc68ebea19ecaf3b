import Crypto
import Foundation
import GlossCore

/// One HTTP request of the sync protocol.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE" }

    public var method: Method
    /// Path and query, e.g. `/v1/corpora/news/changes?after=0`.
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?

    public init(method: Method, path: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// The answer to an ``HTTPRequest``, its body already decompressed.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// The response's headers, by lowercased name (the last value of a repeated one).
    public var headers: [String: String]

    public init(status: Int, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The value of header `name`, whatever its case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why a request got no HTTP answer at all.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nobody listens there (yet): worth retrying.
    case connectionRefused(String)
    /// No answer in time: worth retrying.
    case timedOut(String)
    /// The connection broke mid-request: worth retrying.
    case connectionLost(String)
    /// The host name does not resolve.
    case unresolvable(String)
    /// The server's certificate is not trusted or TLS failed.
    case tls(String)
    /// The answer was longer than the transport accepts (a broken or hostile server).
    case responseTooLarge(limit: Int)
    /// The sync was cancelled (``SyncCancellation``) and the transfer aborted.
    case cancelled
    /// Anything else the HTTP stack reports.
    case other(String)

    /// Whether trying again may succeed.
    public var isTransient: Bool {
        switch self {
        case .connectionRefused, .timedOut, .connectionLost: return true
        case .unresolvable, .tls, .responseTooLarge, .cancelled, .other: return false
        }
    }

    public var description: String {
        switch self {
        case .connectionRefused(let detail), .timedOut(let detail), .connectionLost(let detail), .unresolvable(let detail),
            .tls(let detail), .other(let detail):
            return detail
        case .responseTooLarge(let limit): return "the server's answer is over \(limit) bytes"
        case .cancelled: return "the request was cancelled"
        }
    }
}

/// How the sync engine reaches the server: one request at a time, blocking the calling
/// thread (the engine runs on a thread of its own, see ``SyncSession``).
///
/// Two implementations come with Gloss: `CurlTransport` (the GlossCurl library, libcurl:
/// the CLI's) and ``URLSessionTransport`` (Foundation's URLSession: Apple platforms, and
/// Linux through FoundationNetworking). A simulation or test can stand in behind it.
///
/// A transport sends exactly the request it is given (its path and query are relative to
/// the server's URL, which the transport knows), decompresses the answer, and aborts the
/// transfer with ``TransportError/cancelled`` soon after `cancellation` is cancelled.
public protocol Transport: AnyObject {
    func perform(_ request: HTTPRequest, cancellation: SyncCancellation) throws(TransportError) -> HTTPResponse

    /// Performs a GET whose body, when the status is 2xx, goes to `file` as it arrives
    /// instead of being held in memory (a snapshot runs to hundreds of megabytes): a 206
    /// (the rest of a `Range`) is appended, any other 2xx replaces what the file held
    /// (``DownloadFile/restart()`` before its first byte). The returned response's body is
    /// then empty. Any other answer's body is returned as ``perform(_:cancellation:)``
    /// returns it.
    func download(_ request: HTTPRequest, into file: DownloadFile, cancellation: SyncCancellation) throws(TransportError)
        -> HTTPResponse
}

extension Transport {
    /// Holds the body in memory, then appends it: for transports that cannot stream to a
    /// file (a simulation's); bounded by what the transport accepts in memory.
    public func download(_ request: HTTPRequest, into file: DownloadFile, cancellation: SyncCancellation) throws(TransportError)
        -> HTTPResponse
    {
        var response = try perform(request, cancellation: cancellation)
        guard (200..<300).contains(response.status) else { return response }
        if response.status != 206 { try file.restart() }
        var failure: TransportError?
        response.body.withUnsafeBytes { bytes in
            do throws(TransportError) { try file.append(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
        response.body = []
        return response
    }

    /// Performs a request that is never cancelled.
    public func perform(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        try perform(request, cancellation: SyncCancellation())
    }
}

/// The file a download goes into, with the SHA-256 of what it holds taken as it is
/// written, so a snapshot of hundreds of megabytes is not read back to be checked.
public final class DownloadFile {
    public let path: String
    private let handle: FileHandle
    private var hasher = SHA256()
    /// How many bytes it holds.
    public private(set) var size: Int64 = 0

    /// Opens the existing file at `path` and empties it.
    public init(path: String) throws(TransportError) {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw .other("cannot open \(path) to write") }
        self.path = path
        self.handle = handle
        try restart()
    }

    deinit { try? handle.close() }

    /// Appends what arrived.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw .other("cannot write the download to \(path) (is the disk full?): \(error)")
        }
        hasher.update(bufferPointer: bytes)
        size += Int64(bytes.count)
    }

    /// Empties it: a whole new body follows.
    public func restart() throws(TransportError) {
        do {
            try handle.truncate(atOffset: 0)
        } catch {
            throw .other("cannot write to \(path): \(error)")
        }
        hasher = SHA256()
        size = 0
    }

    /// The lowercase hex SHA-256 of what it holds.
    public var sha256: String { PlainFormat.hex(hasher.finalize()) }
}
