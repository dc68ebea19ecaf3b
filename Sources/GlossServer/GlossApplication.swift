public import Hummingbird
public import Logging
import GlossCore
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import ServiceLifecycle

/// How to run a server.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; the bound one is reported through `onServerRunning`.
    public var port: Int
    public var limits: Limits
    /// PEM files of the certificate chain and private key; `nil` serves plain HTTP.
    public var tls: (certificate: String, key: String)?
    /// Build a corpus's snapshot in the background once it has grown by this many changes
    /// since its latest one; 0 never does (see ``AutoSnapshots``).
    public var snapshotEvery: Int64
    /// Retire replicas silent for longer than this; `nil` never does (see ``ReplicaBookkeeping``).
    public var retireAfter: Duration?
    /// Compact every corpus this often, the first time one period after the start; `nil`
    /// never does (see ``AutoCompaction``).
    public var compactEvery: Duration?

    /// The default retention of a silent replica: 90 days.
    public static let defaultRetireAfter = Duration.seconds(90 * 86_400)
    /// The default compaction period: an hour.
    public static let defaultCompactEvery = Duration.seconds(3_600)

    public init(
        host: String = "127.0.0.1", port: Int = 8080, limits: Limits = .default, tls: (certificate: String, key: String)? = nil,
        snapshotEvery: Int64 = 0, retireAfter: Duration? = defaultRetireAfter, compactEvery: Duration? = defaultCompactEvery
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.tls = tls
        self.snapshotEvery = snapshotEvery
        self.retireAfter = retireAfter
        self.compactEvery = compactEvery
    }
}

/// Why the server could not be set up.
public enum ServerSetupError: Error, Sendable, CustomStringConvertible {
    case tls(String)

    public var description: String {
        switch self {
        case .tls(let reason): return "cannot set up TLS: \(reason); give PEM files with --tls-cert and --tls-key"
        }
    }
}

/// Builds the gloss-server application: health, metrics, and the sync routes behind the
/// protocol check and token authentication.
///
/// ```swift
/// let app = try GlossApplication.make(configuration: .init(port: 0), storage: SQLiteStorage(directory: "data"))
/// try await app.runService()   // stops gracefully on SIGTERM/SIGINT
/// ```
public enum GlossApplication {
    /// - Parameters:
    ///   - snapshots: builds snapshots as corpora grow; `nil` leaves that to
    ///     `gloss-server snapshot create`.
    ///   - replicas: records who has seen what; `nil` records nothing.
    public static func router(
        storage: any Storage, limits: Limits, metrics: ServerMetrics, snapshots: AutoSnapshots? = nil,
        replicas: ReplicaBookkeeping? = nil
    ) -> Router<GlossRequestContext> {
        let router = Router(context: GlossRequestContext.self)
        router.middlewares.add(MetricsMiddleware(metrics: metrics))
        router.middlewares.add(InternalErrorMiddleware())
        router.on(.health, method: .get) { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: HealthResponse.body)))
        }
        router.on(.metrics, method: .get) { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        let corpus = router.group(RouterPath(WireRoute.corpusGroup))
            .add(middleware: ProtocolVersionMiddleware())
            .add(middleware: TokenAuthenticator(storage: storage))
        let changes = ChangeNotifier(
            latestPosition: { try await storage.latestPosition(corpusID: $0) }, parkedChanged: { metrics.longPollsParked($0) })
        storage.deliverChanges(to: changes)
        SyncRoutes(storage: storage, limits: limits, metrics: metrics, changes: changes, snapshots: snapshots, replicas: replicas)
            .add(to: corpus)
        CorpusRoutes(storage: storage, limits: limits).add(to: corpus)
        SnapshotRoutes(storage: storage, metrics: metrics).add(to: corpus)
        return router
    }

    public static func make(
        configuration: ServerConfiguration, storage: any Storage, metrics: ServerMetrics = ServerMetrics(), logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let snapshots =
            configuration.snapshotEvery > 0
            ? AutoSnapshots(storage: storage, every: configuration.snapshotEvery, metrics: metrics, logger: logger) : nil
        let replicas = ReplicaBookkeeping(storage: storage, retireAfter: configuration.retireAfter, logger: logger)
        var services: [any Service] = [replicas]
        if let every = configuration.compactEvery {
            services.append(AutoCompaction(storage: storage, every: every, metrics: metrics, snapshots: snapshots, logger: logger))
        }
        return Application(
            router: router(storage: storage, limits: configuration.limits, metrics: metrics, snapshots: snapshots, replicas: replicas),
            server: try serverBuilder(tls: configuration.tls),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gloss-server"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Plain HTTP/1.1, or HTTP/1.1 over TLS with the given certificate and key; either
    /// way a connection is closed after an answer that says `Connection: close`.
    static func serverBuilder(tls: (certificate: String, key: String)?) throws -> HTTPServerBuilder {
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [CloseAfterResponse()]))
        guard let tls else { return http1 }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificate)
        } catch {
            throw ServerSetupError.tls("cannot read the certificate \(tls.certificate) (\(error))")
        }
        do {
            key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
        } catch {
            throw ServerSetupError.tls("cannot read the private key \(tls.key) (\(error))")
        }
        guard !chain.isEmpty else { throw ServerSetupError.tls("\(tls.certificate) holds no certificate") }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        return try .tls(http1, tlsConfiguration: configuration)
    }
}
