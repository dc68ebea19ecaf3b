import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A ``Transport`` over Foundation's `URLSession`: the one an app on Apple platforms
/// uses (and Linux, through FoundationNetworking, where it is tested).
///
/// Requests go to `baseURL` plus the request's path; answers are decompressed by
/// URLSession. The server's certificate is checked against the system's trust store
/// (install a private CA there; the CLI's `--cacert` is libcurl's). Answers longer than
/// `maxResponseBytes` are cut off and refused, and a cancelled sync cancels the task.
///
/// One transport performs one request at a time, like every ``Transport``; give each
/// concurrent user (``SyncSession``'s live mode pushes while it long-polls) its own.
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let baseURL: String
    private let maxResponseBytes: Int
    private let session: URLSession
    private let receiver: Receiver

    /// - Parameters:
    ///   - baseURL: the server, e.g. `https://gloss.example.org`.
    ///   - timeout: seconds a request may go without data (a long poll waits at most 60).
    ///   - maxResponseBytes: the longest answer accepted (a pull page is about 1 MiB).
    public init(baseURL: String, timeout: Double = 120, maxResponseBytes: Int = 128 * 1024 * 1024) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.maxResponseBytes = maxResponseBytes
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        receiver = Receiver()
        session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
    }

    deinit {
        session.invalidateAndCancel()
    }

    public func perform(_ request: HTTPRequest, cancellation: SyncCancellation) throws(TransportError) -> HTTPResponse {
        try run(request, cancellation: cancellation, file: nil)
    }

    /// Streams a 2xx body into `file` (a 206 appended, any other replacing what the file
    /// held); `maxResponseBytes` bounds only other answers.
    public func download(_ request: HTTPRequest, into file: DownloadFile, cancellation: SyncCancellation) throws(TransportError)
        -> HTTPResponse
    {
        try run(request, cancellation: cancellation, file: file)
    }

    private func run(_ request: HTTPRequest, cancellation: SyncCancellation, file: DownloadFile?) throws(TransportError)
        -> HTTPResponse
    {
        guard !cancellation.isCancelled else { throw .cancelled }
        let address = baseURL + request.path
        guard let url = URL(string: address) else { throw .other("\(address) is not a valid URL") }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method.rawValue
        for header in request.headers { urlRequest.setValue(header.value, forHTTPHeaderField: header.name) }
        if let body = request.body {
            urlRequest.httpBody = Data(body)
            urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let task = session.dataTask(with: urlRequest)
        let transfer = Transfer(limit: maxResponseBytes, file: file)
        receiver.start(transfer, for: task.taskIdentifier)
        let registration = cancellation.onCancel { [weak task] in task?.cancel() }
        defer { cancellation.removeHandler(registration) }
        task.resume()
        transfer.done.wait()
        receiver.finish(task.taskIdentifier)

        if transfer.overflowed { throw .responseTooLarge(limit: maxResponseBytes) }
        if let failure = transfer.fileFailed { throw failure }
        if let error = transfer.error {
            if cancellation.isCancelled { throw .cancelled }
            throw Self.transportError(error, url: address)
        }
        guard let status = transfer.status else { throw .other("no HTTP answer from \(address)") }
        return HTTPResponse(status: status, body: transfer.bytes, headers: transfer.headers)
    }

    static func transportError(_ error: any Error, url: String) -> TransportError {
        guard let error = error as? URLError else { return .other("request to \(url) failed (\(error))") }
        let detail = error.localizedDescription
        switch error.code {
        case .cannotConnectToHost, .notConnectedToInternet: return .connectionRefused("cannot connect to \(url) (\(detail))")
        case .timedOut: return .timedOut("no answer from \(url) in time (\(detail))")
        case .networkConnectionLost, .badServerResponse, .cannotParseResponse:
            return .connectionLost("the connection to \(url) broke (\(detail))")
        case .cannotFindHost, .dnsLookupFailed: return .unresolvable("cannot resolve the host of \(url)")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
            .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .tls("the server's TLS certificate is not trusted or TLS failed (\(detail))")
        case .cancelled: return .cancelled
        default: return .other("request to \(url) failed (\(detail))")
        }
    }

    /// One request's answer as it arrives.
    final class Transfer: @unchecked Sendable {
        let limit: Int
        var bytes: [UInt8] = []
        var status: Int?
        var headers: [String: String] = [:]
        var error: (any Error)?
        var overflowed = false
        /// Where a 2xx body goes when downloading to a file.
        let file: DownloadFile?
        var fileFailed: TransportError?
        /// Whether the body has started: a 200's first bytes replace what the file held.
        var started = false
        let done = DispatchSemaphore(value: 0)

        init(limit: Int, file: DownloadFile?) {
            self.limit = limit
            self.file = file
        }
    }

    /// The session's delegate: hands each task's data to its transfer.
    final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var transfers: [Int: Transfer] = [:]

        func start(_ transfer: Transfer, for task: Int) {
            lock.lock()
            transfers[task] = transfer
            lock.unlock()
        }

        func finish(_ task: Int) {
            lock.lock()
            transfers[task] = nil
            lock.unlock()
        }

        private func transfer(_ task: URLSessionTask) -> Transfer? {
            lock.lock()
            defer { lock.unlock() }
            return transfers[task.taskIdentifier]
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
        ) {
            let http = response as? HTTPURLResponse
            transfer(dataTask)?.status = http?.statusCode
            for (name, value) in http?.allHeaderFields ?? [:] {
                if let name = name as? String, let value = value as? String { transfer(dataTask)?.headers[name.lowercased()] = value }
            }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard let transfer = transfer(dataTask) else { return }
            if let file = transfer.file, let status = transfer.status, (200..<300).contains(status) {
                do throws(TransportError) {
                    if !transfer.started, status != 206 { try file.restart() }
                    transfer.started = true
                    var failure: TransportError?
                    data.withUnsafeBytes { bytes in
                        do throws(TransportError) { try file.append(bytes) } catch { failure = error }
                    }
                    if let failure { throw failure }
                } catch {
                    transfer.fileFailed = error
                    dataTask.cancel()
                }
                return
            }
            guard transfer.bytes.count + data.count <= transfer.limit else {
                transfer.overflowed = true
                dataTask.cancel()
                return
            }
            transfer.bytes.append(contentsOf: data)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            guard let transfer = transfer(task) else { return }
            transfer.error = error
            transfer.done.signal()
        }

        /// Redirects are not part of the protocol: the answer is the 3xx itself.
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }
}
