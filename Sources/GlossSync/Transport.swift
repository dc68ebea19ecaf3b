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

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
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
}

extension Transport {
    /// Performs a request that is never cancelled.
    public func perform(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        try perform(request, cancellation: SyncCancellation())
    }
}
