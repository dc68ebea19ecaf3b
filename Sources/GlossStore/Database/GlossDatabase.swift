import GlossCore
public import GlossFileModes
public import GRDB
import Foundation

/// A client replica: one SQLite file holding the append-only change log and the tables
/// derived from it.
///
/// Every write goes through one transaction that appends to the log and updates the
/// derived state together, so a crash leaves either both or neither.
///
/// The file holds the remote's bearer token, so it and its `-wal` and `-shm` are created
/// 0600 (a folder Gloss makes for it, 0700), and opening a store that other users could
/// read tightens it (see ``loosePermissions``).
///
/// ```swift
/// let store = try GlossDatabase.create(at: "notes.gloss", name: "ayşe")
/// let summary = try store.importItems(items)
/// ```
public struct GlossDatabase: Sendable {
    /// The connection (a WAL-mode pool on disk, a queue in memory).
    let writer: any DatabaseWriter
    /// Where the store lives, for messages; `:memory:` for in-memory stores.
    public let path: String
    /// Supplies "now" in milliseconds; tests replace it to make clocks skew.
    let clock: @Sendable () -> Int64
    /// Supplies random bits for new ids (the replica's, annotations'); a deterministic
    /// simulation passes a seeded source so that a seed replays exactly.
    let random: @Sendable () -> UInt64
    /// The store's files (and `-wal`, `-shm`) that other users could read or write when
    /// ``open(at:clock:random:)`` found them, each tightened to 0600 or left as it was and
    /// why. Empty when all were private. A front end says so (`gloss` prints one line);
    /// ``doctor(repair:)`` reports each as a problem.
    public let loosePermissions: [LoosePermissions]

    /// A read-only view of the database, for queries a front end runs itself.
    public var reader: any DatabaseReader { writer }

    init(
        writer: any DatabaseWriter, path: String, clock: @escaping @Sendable () -> Int64,
        random: @escaping @Sendable () -> UInt64, loosePermissions: [LoosePermissions] = []
    ) throws {
        self.writer = writer
        self.path = path
        self.clock = clock
        self.random = random
        self.loosePermissions = loosePermissions
        try Self.migrator.migrate(writer)
    }

    /// The current wall clock in milliseconds since 1970.
    public static let systemClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The system's cryptographically secure random generator.
    public static let systemRandom: @Sendable () -> UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// `random` as a `RandomNumberGenerator`, for the ids' `random(using:)`.
    struct RandomSource: RandomNumberGenerator {
        let source: @Sendable () -> UInt64
        mutating func next() -> UInt64 { source() }
    }

    /// The embedded migrations of `Migrations/client/`, each applied once, in name order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.client {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
                // Schema 5 adds placement columns; existing annotations are placed by the
                // same code that places every later one.
                if migration.name == "0005_placement" { try Schema5Placement.placeAll(db) }
            }
        }
        return migrator
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL (from DatabasePool) with FULL sync: a committed change survives power loss too.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 4 MiB of page cache per connection holds the pages a sync or an import touches
            // again and again; the rest comes from the OS cache. Measured on first syncs:
            // 32 MiB cost 25 MB of RSS at 20,000 changes (81 → 56 MB with 8 MiB) and no time;
            // 4 MiB instead of 8 saved 4 MB at 101,000 changes (66.0 → 61.8 MB) and no time.
            try db.execute(sql: "PRAGMA cache_size = -4096")
            // Checkpoint the WAL into the database every 64 MiB instead of every 4 MiB: a
            // page of a first sync rewrites the same index pages, and each checkpoint copied
            // them (and fsynced the file) again. Commits stay as durable (the WAL is synced
            // at commit); the last connection to close checkpoints and removes the WAL.
            // Measured, first pull of 101,000 changes: 40.9 → 31.5–33.0 s, system 8.4 → 6 s.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        return configuration
    }

    /// The store file and the two SQLite keeps beside it in WAL mode.
    static func files(of path: String) -> [String] { [path, path + "-wal", path + "-shm"] }

    /// Creates a new replica at `path` with a fresh random replica id.
    /// - Parameters:
    ///   - path: the store file; it must not exist yet. Missing parent folders are made
    ///     (mode 0700); the file, and the `-wal` and `-shm` SQLite makes from it, are 0600.
    ///   - name: written as `author` on the annotations this replica makes.
    /// - Throws: ``StoreError/storeExists(path:)`` or ``StoreError/cannotOpen(path:reason:)``.
    public static func create(
        at path: String, name: String? = nil, clock: @escaping @Sendable () -> Int64 = systemClock,
        random: @escaping @Sendable () -> UInt64 = systemRandom
    ) throws -> GlossDatabase {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: path) { throw StoreError.storeExists(path: path) }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            if !folder.isEmpty { try OwnerOnly.createFolder(folder) }
            // Made 0600 before SQLite opens it: SQLite gives -wal and -shm the same mode.
            guard try OwnerOnly.createFile(path) else { throw StoreError.storeExists(path: path) }
        } catch let error as FileModeError {
            throw StoreError.cannotOpen(path: path, reason: error.description)
        }
        do {
            let pool: DatabasePool
            do {
                pool = try DatabasePool(path: path, configuration: configuration())
            } catch {
                throw StoreError.cannotOpen(path: path, reason: Self.reason(error))
            }
            let store = try GlossDatabase(writer: pool, path: path, clock: clock, random: random)
            try store.initializeReplica(name: name)
            return store
        } catch {
            // Leave nothing half-made behind.
            for file in files(of: path) { try? fileManager.removeItem(atPath: file) }
            throw error
        }
    }

    /// Opens an existing replica, applying any migrations a newer Gloss added.
    ///
    /// A store file, `-wal` or `-shm` that other users could read or write is first made
    /// 0600 (unless it belongs to another user); ``loosePermissions`` tells what was found.
    /// - Throws: ``StoreError/storeMissing(path:)``, ``StoreError/notAStore(path:)``.
    public static func open(
        at path: String, clock: @escaping @Sendable () -> Int64 = systemClock,
        random: @escaping @Sendable () -> UInt64 = systemRandom
    ) throws -> GlossDatabase {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.storeMissing(path: path) }
        // Before SQLite opens it, so a -wal or -shm it makes now is 0600 too.
        let loose = OwnerOnly.tighten(files(of: path))
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration())
            let isStore = try pool.read { db in try db.tableExists("replica") && db.tableExists("changes") }
            guard isStore else { throw StoreError.notAStore(path: path) }
        } catch let error as StoreError {
            throw error
        } catch {
            if let databaseError = error as? DatabaseError, databaseError.resultCode == .SQLITE_NOTADB {
                throw StoreError.notAStore(path: path)
            }
            throw StoreError.cannotOpen(path: path, reason: Self.reason(error))
        }
        return try GlossDatabase(writer: pool, path: path, clock: clock, random: random, loosePermissions: loose)
    }

    /// A new replica in memory, for tests and previews.
    public static func inMemory(
        name: String? = nil, clock: @escaping @Sendable () -> Int64 = systemClock,
        random: @escaping @Sendable () -> UInt64 = systemRandom
    ) throws -> GlossDatabase {
        let store = try GlossDatabase(
            writer: DatabaseQueue(configuration: Configuration()), path: ":memory:", clock: clock, random: random)
        try store.initializeReplica(name: name)
        return store
    }

    private func initializeReplica(name: String?) throws {
        let created = PlainFormat.now()
        var generator = RandomSource(source: random)
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO replica (singleton, id, name, created_at) VALUES (1, ?, ?, ?)",
                arguments: [ReplicaID.random(using: &generator).description, name, created])
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let databaseError = error as? DatabaseError { return databaseError.message ?? "\(databaseError.resultCode)" }
        return "\(error)"
    }

    /// Runs `body` in one write transaction.
    /// - Parameter durable: `false` commits without waiting for the disk (`synchronous =
    ///   NORMAL` in WAL mode: atomic and consistent, survives a crash of the process, but
    ///   power loss may undo it). Only for writes that can be redone from elsewhere.
    func write<T: Sendable>(durable: Bool = true, _ body: @Sendable (Database) throws -> T) throws -> T {
        guard !durable else { return try writer.write(body) }
        return try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let outcome = Result { () throws -> T in
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
            // Every other write of this connection stays durable, whatever happened above.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            return try outcome.get()
        }
    }

    /// Runs `body` against a consistent snapshot.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try writer.read(body)
    }
}
