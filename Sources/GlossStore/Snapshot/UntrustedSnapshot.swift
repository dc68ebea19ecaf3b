import CSQLiteDefensive
import Foundation
import GlossCore
import GRDB

/// A downloaded snapshot, opened as untrusted input and checked before anything of it
/// may reach a replica.
///
/// The server built it, but a server can be compromised and a download damaged, and an
/// SQLite file is a program as much as data (triggers, views, a schema SQLite trusts).
/// So it is opened with SQLite's defensive settings (no writable schema, no writes to
/// shadow tables, no functions with side effects from the schema), its header is read by
/// hand before SQLite reads it, `quick_check` must pass, its schema must be exactly the
/// one this version's migrations make (no extra table, index, trigger or view), and what
/// it claims (corpus, epoch, position, change count) must match what the server
/// announced, with counts and ids cross-checked.
struct UntrustedSnapshot {
    /// The page size every replica uses (SQLite's default). A snapshot with another one
    /// could not be copied into a WAL-mode replica page for page.
    static let pageSize = 4096

    let path: String
    let queue: DatabaseQueue

    /// Opens and checks the file at `path` against `claim`.
    /// - Throws: ``StoreError/snapshotRefused(_:)`` saying what is wrong.
    /// - Parameter fileSHA256: the file's SHA-256 if the caller took it while writing it.
    init(checking path: String, claim: SnapshotClaim, fileSHA256: String? = nil) throws {
        self.path = path
        try Self.checkHeader(path: path)
        let digest = try fileSHA256 ?? SnapshotBuilder.hash(path).sha256
        guard digest == claim.sha256 else { throw StoreError.snapshotRefused(.hashMismatch(expected: claim.sha256, actual: digest)) }
        do {
            queue = try DatabaseQueue(path: path, configuration: Self.configuration())
        } catch {
            throw StoreError.snapshotRefused(.damaged("SQLite cannot open it: \(Self.reason(error))"))
        }
        try refusing { db in
            try Self.checkIntegrity(db)
            try Self.checkSchema(db)
            try Self.checkClaims(db, claim: claim)
            try Self.checkCounts(db, claim: claim)
        }
    }

    /// Runs `body` on the snapshot, reporting SQLite's errors as damage.
    func refusing<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.inDatabase(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.snapshotRefused(.damaged(Self.reason(error)))
        }
    }

    /// The defensive settings, set on the connection before anything is read.
    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            guard gloss_sqlite_harden(db.sqliteConnection) == SQLITE_OK else {
                throw DatabaseError(message: "SQLite's defensive settings could not be set")
            }
            try db.execute(sql: "PRAGMA trusted_schema = OFF")
            // Check every cell's size as it is read: a crafted page cannot make SQLite
            // read outside it.
            try db.execute(sql: "PRAGMA cell_size_check = ON")
            try db.execute(sql: "PRAGMA mmap_size = 0")
        }
        return configuration
    }

    /// Reads the 100-byte header by hand: the magic string, the page size, the reserved
    /// bytes, the journal format, and whether the file is as long as the header says.
    /// - Returns: the file's size.
    @discardableResult
    static func checkHeader(path: String) throws -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.snapshotRefused(.notADatabase) }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let size = Int64((try? handle.seekToEnd()) ?? 0)
        guard header.count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw StoreError.snapshotRefused(.notADatabase)
        }
        func bigEndian(_ range: Range<Int>) -> Int64 { header[range].reduce(0) { $0 << 8 | Int64($1) } }
        let rawPageSize = bigEndian(16..<18)
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        guard pageSize == Int64(Self.pageSize) else {
            throw StoreError.snapshotRefused(.unsupportedFormat("page size \(pageSize), not \(Self.pageSize)"))
        }
        guard header[20] == 0 else { throw StoreError.snapshotRefused(.unsupportedFormat("\(header[20]) reserved bytes per page")) }
        guard header[18] == 1, header[19] == 1 else {
            throw StoreError.snapshotRefused(.unsupportedFormat("not a self-contained file (write-ahead log format)"))
        }
        let pages = bigEndian(28..<32)
        let changeCounter = bigEndian(24..<28)
        let validFor = bigEndian(92..<96)
        guard size % pageSize == 0 else {
            throw StoreError.snapshotRefused(.truncated("\(size) bytes is not a whole number of \(pageSize)-byte pages"))
        }
        if changeCounter == validFor, pages * pageSize != size {
            throw StoreError.snapshotRefused(.truncated("its header says \(pages * pageSize) bytes, the file has \(size)"))
        }
        return size
    }

    static func checkIntegrity(_ db: Database) throws {
        let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(5)")
        guard problems == ["ok"] else { throw StoreError.snapshotRefused(.damaged(problems.joined(separator: "; "))) }
    }

    /// The schema this version makes, from its own migrations in an empty database.
    static let expectedSchema: Result<[String], any Error> = Result {
        let queue = try DatabaseQueue()
        try GlossDatabase.migrator.migrate(queue)
        return try queue.read { db in try schema(db) }
    }

    /// Every schema object as one line, in a stable order, plus the values of the header
    /// fields SQLite keeps for applications.
    static func schema(_ db: Database) throws -> [String] {
        let objects = try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
            .map { row in "\(row["type"] as String? ?? "") \(row["name"] as String? ?? "") on \(row["tbl_name"] as String? ?? ""): \(row["sql"] as String? ?? "")" }
        let versions = try [
            "user_version \(Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1)",
            "application_id \(Int.fetchOne(db, sql: "PRAGMA application_id") ?? -1)",
            "encoding \(String.fetchOne(db, sql: "PRAGMA encoding") ?? "")",
        ]
        return objects + versions
    }

    static func checkSchema(_ db: Database) throws {
        let expected = try expectedSchema.get()
        let actual = try schema(db)
        guard actual != expected else {
            let migrations = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            guard migrations == GlossDatabase.migrator.migrations else {
                throw StoreError.snapshotRefused(.schemaMismatch("migrations \(migrations.joined(separator: ", "))"))
            }
            return
        }
        let extra = Set(actual).subtracting(expected).sorted()
        let missing = Set(expected).subtracting(actual).sorted()
        let detail = extra.first.map { "unexpected \($0.prefix(80))" } ?? missing.first.map { "missing \($0.prefix(80))" } ?? "order"
        throw StoreError.snapshotRefused(.schemaMismatch(String(detail)))
    }

    /// The `replica` and `remote` rows: one each, the remote naming the announced corpus,
    /// epoch and position, with nothing pushed and no token.
    static func checkClaims(_ db: Database, claim: SnapshotClaim) throws {
        guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replica") == 1,
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM remote") == 1,
            let remote = try Row.fetchOne(db, sql: "SELECT corpus, epoch, cursor, pushed_seq, token, floor, basis_cursor FROM remote")
        else { throw StoreError.snapshotRefused(.claimMismatch("it has no single replica and remote")) }
        let corpus: String = remote["corpus"]
        guard corpus == claim.corpus else {
            throw StoreError.snapshotRefused(.claimMismatch("it is of corpus '\(corpus)', not '\(claim.corpus)'"))
        }
        let epoch: String? = remote["epoch"]
        guard epoch == claim.epoch else {
            throw StoreError.snapshotRefused(.claimMismatch("its epoch is \(epoch ?? "none"), not \(claim.epoch)"))
        }
        let cursor: Int64 = remote["cursor"]
        guard cursor == claim.position else {
            throw StoreError.snapshotRefused(.claimMismatch("it was built at position \(cursor), not \(claim.position)"))
        }
        guard remote["pushed_seq"] as Int64 == 0, (remote["token"] as String).isEmpty, remote["basis_cursor"] as Int64? == nil else {
            throw StoreError.snapshotRefused(.claimMismatch("it holds a token or a pushed mark"))
        }
        let floor: Int64 = remote["floor"]
        guard (0...cursor).contains(floor) else {
            throw StoreError.snapshotRefused(.claimMismatch("its compaction floor \(floor) is not between 0 and its position \(cursor)"))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let databaseError = error as? DatabaseError { return databaseError.message ?? "\(databaseError.resultCode)" }
        return "\(error)"
    }
}
