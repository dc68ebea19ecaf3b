import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// One server process's `LISTEN gloss_changes`: every push transaction ends with
/// `pg_notify('gloss_changes', 'CORPUS:POSITION')`, which PostgreSQL delivers to every
/// listening session once the transaction commits, so a push on any server wakes the long
/// polls parked on every server.
///
/// The feed holds one connection of its own, outside the pool (a pooled connection would be
/// lent to queries, and a pool of one would starve). When that connection is lost it is
/// made again every second; notifications sent in between are lost, so until it is back
/// the notifiers re-check every second, and once it is back they re-check at once (see
/// ``ChangeNotifier``). A query every 30 s that must answer within 10 s finds a connection
/// that died without a word, which would otherwise look alive until TCP gives up.
final class PostgresChangeFeed: Sendable {
    static let channel = "gloss_changes"
    static let retryEvery: Duration = .seconds(1)
    static let pingEvery: Duration = .seconds(30)
    static let pingTimeout: Duration = .seconds(10)

    /// What ends a `LISTEN` connection's life besides the errors of the connection itself.
    enum FeedError: Error {
        case notificationsEnded
        case pingUnanswered
    }

    private struct State {
        var notifiers: [ChangeNotifier] = []
        var task: Task<Void, Never>?
        var live = false
        var stopped = false
    }

    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The payload of a push's notification.
    static func payload(corpusID: Int64, position: Int64) -> String { "\(corpusID):\(position)" }

    /// Feeds `notifier` from now on; the first notifier starts the `LISTEN` connection.
    func add(_ notifier: ChangeNotifier) {
        state.withLockedValue { state in
            guard !state.stopped else { return }
            state.notifiers.append(notifier)
            notifier.changeFeed(isLive: state.live)
            if state.task == nil { state.task = Task { await self.run() } }
        }
    }

    /// Closes the `LISTEN` connection and forgets the notifiers (telling them the feed is gone).
    func shutdown() async {
        let (task, notifiers) = state.withLockedValue { state in
            state.stopped = true
            defer { state.notifiers = [] }
            return (state.task, state.notifiers)
        }
        task?.cancel()
        await task?.value
        for notifier in notifiers { notifier.changeFeed(isLive: false) }
    }

    /// Stops the feed without waiting (for a storage released without ``shutdown()``).
    func cancel() {
        state.withLockedValue { $0.task }?.cancel()
    }

    private var notifiers: [ChangeNotifier] { state.withLockedValue { $0.notifiers } }

    private func setLive(_ live: Bool) {
        for notifier in state.withLockedValue({ state -> [ChangeNotifier] in
            state.live = live
            return state.notifiers
        }) { notifier.changeFeed(isLive: live) }
    }

    private func run() async {
        var failures = 0
        while !Task.isCancelled {
            var error: any Error = FeedError.notificationsEnded
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        setLive(true)
                        if failures > 0 { logger.notice("long polls: the LISTEN connection is back after \(failures) attempt(s)") }
                        failures = 0
                        // What committed while nobody here listened was not heard: look.
                        for notifier in notifiers { await notifier.recheck() }
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                for try await notification in notifications { self.deliver(notification.payload) }
                                throw FeedError.notificationsEnded
                            }
                            group.addTask {
                                while true {
                                    try await Task.sleep(for: Self.pingEvery)
                                    try await self.ping(connection)
                                }
                            }
                            try await group.next()
                        }
                    }
                } catch let thrown {
                    error = thrown
                }
                try? await connection.close()
            } catch let thrown {
                error = thrown
            }
            setLive(false)
            guard !Task.isCancelled else { return }
            if failures == 0 {
                // PSQLError's description hides its details; the reflection says what failed.
                let reason = String(reflecting: error)
                logger.warning(
                    "long polls: no LISTEN connection to PostgreSQL (\(reason)); reconnecting every second, and parked polls re-check every second meanwhile"
                )
            }
            failures += 1
            try? await Task.sleep(for: Self.retryEvery)
        }
    }

    private func deliver(_ payload: String) {
        let parts = payload.split(separator: ":")
        guard parts.count == 2, let corpusID = Int64(parts[0]), let position = Int64(parts[1]) else {
            logger.warning("long polls: ignored a notification on \(Self.channel) that is not CORPUS:POSITION: '\(payload)'")
            return
        }
        for notifier in notifiers { notifier.notify(corpusID: corpusID, position: position) }
    }

    /// `SELECT 1` on the connection; closes it when no answer comes within the timeout.
    private func ping(_ connection: PostgresConnection) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await connection.query("SELECT 1", logger: self.logger)
                return true
            }
            group.addTask {
                try await Task.sleep(for: Self.pingTimeout)
                // The query may never return on its own: closing the connection fails it.
                try? await connection.close()
                return false
            }
            let answered = try await group.next() ?? false
            group.cancelAll()
            if !answered { throw FeedError.pingUnanswered }
        }
    }
}
