import CCurl
import CompressNIO
import Foundation
public import GlossSync
import NIOCore

/// The client's HTTP stack: libcurl, one easy handle reused for every request of a sync
/// so the connection is kept alive.
///
/// TLS verification is on (the system's trust store, or `cacert`); responses are
/// decompressed by libcurl (`Accept-Encoding`); request bodies over 1 KiB are gzipped.
/// A cancelled sync aborts the transfer from libcurl's progress callback, which runs
/// at least once a second and whenever data moves.
public final class CurlTransport: Transport {
    private let handle: UnsafeMutableRawPointer
    private let baseURL: String
    public var connectTimeout: Int
    public var totalTimeout: Int
    /// The longest answer accepted, decompressed; longer ones are cut off and refused,
    /// so a hostile server cannot make the client hold unbounded memory.
    public var maxResponseBytes: Int
    private let cacert: String?

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// - Parameters:
    ///   - baseURL: the server, e.g. `http://127.0.0.1:8080`.
    ///   - cacert: a PEM file of CA certificates to trust instead of the system's.
    ///   - connectTimeout: seconds to wait for a connection.
    ///   - totalTimeout: seconds a whole request may take.
    ///   - maxResponseBytes: the longest answer accepted (a pull page is about 1 MiB).
    public init(
        baseURL: String, cacert: String? = nil, connectTimeout: Int = 10, totalTimeout: Int = 120,
        maxResponseBytes: Int = 128 * 1024 * 1024
    ) throws(TransportError) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw .other("libcurl could not start (curl_easy_init failed)") }
        self.handle = handle
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.cacert = cacert
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Accumulates what libcurl hands the write and header callbacks, and tells its
    /// progress callback whether to go on.
    private final class Sink {
        var bytes: [UInt8] = []
        let limit: Int
        var overflowed = false
        let cancellation: SyncCancellation
        /// The status of the answer being received and its headers (lowercased names).
        var status = 0
        var headers: [String: String] = [:]
        /// Where a 2xx body goes when downloading to a file.
        let file: DownloadFile?
        var fileFailed: TransportError?
        /// Whether the body has started: a 200's first bytes replace what the file held.
        var started = false

        init(limit: Int, cancellation: SyncCancellation, file: DownloadFile?) {
            self.limit = limit
            self.cancellation = cancellation
            self.file = file
        }

        /// One header line as libcurl hands it (with its CRLF). A status line starts a new
        /// answer (after a `100 Continue`, say), so it forgets the headers seen so far.
        func header(_ line: String) {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasPrefix("HTTP/") {
                let parts = trimmed.split(separator: " ", maxSplits: 2)
                status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                headers = [:]
            } else if let colon = trimmed.firstIndex(of: ":") {
                let name = trimmed[..<colon].lowercased()
                headers[name] = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }

        /// Takes a piece of the body: into the file when downloading a 2xx answer, else
        /// into memory up to `limit`. Returns whether it was taken.
        func take(_ data: UnsafeRawBufferPointer) -> Bool {
            if let file, (200..<300).contains(status) {
                do throws(TransportError) {
                    if !started, status != 206 { try file.restart() }
                    started = true
                    try file.append(data)
                    return true
                } catch {
                    fileFailed = error
                    return false
                }
            }
            guard bytes.count + data.count <= limit else {
                overflowed = true
                return false
            }
            bytes.append(contentsOf: data)
            return true
        }
    }

    public func perform(_ request: HTTPRequest, cancellation: SyncCancellation) throws(TransportError) -> HTTPResponse {
        try transfer(request, cancellation: cancellation, file: nil)
    }

    /// Streams a 2xx body into `file` (a 206 appended, any other replacing what the file
    /// held), so a snapshot of hundreds of megabytes never sits in memory;
    /// `maxResponseBytes` bounds only other answers.
    public func download(_ request: HTTPRequest, into file: DownloadFile, cancellation: SyncCancellation) throws(TransportError)
        -> HTTPResponse
    {
        try transfer(request, cancellation: cancellation, file: file)
    }

    private func transfer(_ request: HTTPRequest, cancellation: SyncCancellation, file: DownloadFile?) throws(TransportError)
        -> HTTPResponse
    {
        guard !cancellation.isCancelled else { throw .cancelled }
        curl_easy_reset(handle)
        let sink = Sink(limit: maxResponseBytes, cancellation: cancellation, file: file)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        var body = request.body
        var headers = request.headers
        if let raw = body, raw.count > 1_024 {
            var buffer = ByteBuffer(bytes: raw)
            if let compressed = try? buffer.compress(with: .gzip()) {
                body = Array(compressed.readableBytesView)
                headers.append(("Content-Encoding", "gzip"))
            }
        }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        headers.append(("Expect", ""))  // no 100-continue round trip for large bodies
        for header in headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }

        let url = baseURL + request.path
        gloss_curl_setopt_string(handle, CURLOPT_URL, url)
        if request.method == .delete { gloss_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "DELETE") }
        gloss_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
        gloss_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        gloss_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout)
        if file == nil {
            gloss_curl_setopt_long(handle, CURLOPT_TIMEOUT, totalTimeout)
        } else {
            // A download may take as long as it needs while it moves: it is given up only
            // when under 1 KiB/s for a whole `totalTimeout`.
            gloss_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1024)
            gloss_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, totalTimeout)
            // Larger reads for a large body: fewer callbacks and file writes (libcurl's
            // default is 16 KiB, its maximum 512 KiB).
            gloss_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024)
        }
        gloss_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        gloss_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        gloss_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let cacert { gloss_curl_setopt_string(handle, CURLOPT_CAINFO, cacert) }
        gloss_curl_setopt_string(handle, CURLOPT_USERAGENT, "gloss/0.1 (libcurl \(Libcurl.version))")
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        gloss_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        gloss_curl_setopt_write_callback(handle) { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            // Returning less than `length` makes libcurl stop with CURLE_WRITE_ERROR.
            return sink.take(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        }
        gloss_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanaged.toOpaque())
        gloss_curl_setopt_header_callback(handle) { data, size, count, context in
            guard let data, let context else { return 0 }
            let length = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue().header(line)
            return length
        }
        gloss_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, unmanaged.toOpaque())
        gloss_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        gloss_curl_setopt_xferinfo_callback(handle) { context, _, _, _, _ in
            guard let context else { return 0 }
            // Non-zero aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
            return Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue().cancellation.isCancelled ? 1 : 0
        }

        let code: CURLcode = body.map { bytes in
            bytes.withUnsafeBufferPointer { buffer in
                gloss_curl_setopt_long(handle, CURLOPT_POST, 1)
                gloss_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, buffer.count)
                gloss_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                return curl_easy_perform(handle)
            }
        } ?? curl_easy_perform(handle)

        if sink.overflowed { throw .responseTooLarge(limit: maxResponseBytes) }
        if let failure = sink.fileFailed { throw failure }
        if code == CURLE_ABORTED_BY_CALLBACK { throw .cancelled }
        guard code == CURLE_OK else { throw Self.error(for: code, url: url) }
        var status = 0
        gloss_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: sink.bytes, headers: sink.headers)
    }

    static func error(for code: CURLcode, url: String) -> TransportError {
        let detail = String(cString: curl_easy_strerror(code)).lowercased()
        switch code {
        case CURLE_COULDNT_CONNECT: return .connectionRefused("cannot connect to \(url) (\(detail))")
        case CURLE_OPERATION_TIMEDOUT: return .timedOut("no answer from \(url) in time (\(detail))")
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .connectionLost("the connection to \(url) broke (\(detail))")
        case CURLE_COULDNT_RESOLVE_HOST: return .unresolvable("cannot resolve the host of \(url)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM:
            return .tls("the server's TLS certificate is not trusted or TLS failed (\(detail))")
        default: return .other("request to \(url) failed (\(detail))")
        }
    }
}
