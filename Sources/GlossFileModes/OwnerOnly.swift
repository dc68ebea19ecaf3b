#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Owner-only files and folders, for what holds secrets: a replica keeps its remote's
/// bearer token, a server's data folder every corpus and every token's hash.
///
/// SQLite creates a database's `-wal`, `-shm` and `-journal` files with the mode of the
/// database file itself, so creating that file 0600 before SQLite opens it makes them
/// 0600 too, whatever the umask.
///
/// ```swift
/// try OwnerOnly.createFolder("/var/lib/gloss")
/// _ = try OwnerOnly.createFile("/var/lib/gloss/gloss.sqlite")
/// let found = OwnerOnly.tighten(["/var/lib/gloss/gloss.sqlite"])   // [] when all are 0600
/// ```
public enum OwnerOnly {
    /// `rw-------`.
    public static let fileMode: UInt32 = 0o600
    /// `rwx------`.
    public static let folderMode: UInt32 = 0o700
    /// The bits that let anyone but the owner in.
    static let othersBits: UInt32 = 0o077

    /// Creates `path` and each missing folder above it with mode 0700; folders that
    /// exist already are left as they are (a home folder is not Gloss's to change).
    /// - Throws: ``FileModeError`` when a folder cannot be made, or `path` is a file.
    public static func createFolder(_ path: String) throws(FileModeError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") where component != "." {
            prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + component
            if mkdir(prefix, mode_t(folderMode)) == 0 {
                // Exactly 0700, whatever the umask took away.
                _ = chmod(prefix, mode_t(folderMode))
                continue
            }
            let failure = errno
            var status = stat()
            guard failure == EEXIST, stat(prefix, &status) == 0 else {
                throw FileModeError(path: prefix, action: "create the folder", code: failure)
            }
            guard isFolder(status) else { throw FileModeError(path: prefix, action: "create the folder", code: ENOTDIR) }
        }
    }

    static func isFolder(_ status: stat) -> Bool { status.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) }

    /// Creates `path` as an empty file with mode 0600, unless something is there already.
    /// - Returns: `false` when `path` existed (it is left untouched).
    /// - Throws: ``FileModeError`` when it can be neither created nor found.
    public static func createFile(_ path: String) throws(FileModeError) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(fileMode))
        guard descriptor >= 0 else {
            let failure = errno
            if failure == EEXIST { return false }
            throw FileModeError(path: path, action: "create", code: failure)
        }
        // Exactly 0600, whatever the umask took away (SQLite needs to write it too).
        _ = fchmod(descriptor, mode_t(fileMode))
        close(descriptor)
        return true
    }

    /// Takes group and other permissions away from each of `paths` that has any: files
    /// become 0600, folders 0700. Missing paths are skipped. A path owned by another user
    /// is left as it is (it is theirs to change), and so is one `chmod` refuses.
    /// - Returns: what was found open to other users, and what was done about each.
    public static func tighten(_ paths: [String]) -> [LoosePermissions] {
        var found: [LoosePermissions] = []
        for path in paths {
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            let mode = UInt32(status.st_mode) & 0o777
            guard mode & othersBits != 0 else { continue }
            let folder = Self.isFolder(status)
            let wanted = folder ? folderMode : fileMode
            let outcome: LoosePermissions.Outcome
            if status.st_uid != geteuid() {
                outcome = .ownedByAnotherUser(uid: UInt32(status.st_uid))
            } else if chmod(path, mode_t(wanted)) == 0 {
                outcome = .tightened
            } else {
                outcome = .refused(FileModeError.message(for: errno))
            }
            found.append(LoosePermissions(path: path, mode: mode, wanted: wanted, isFolder: folder, outcome: outcome))
        }
        return found
    }

    /// The permission bits of `path` (`0o600`, say), or nil when it cannot be read.
    public static func mode(of path: String) -> UInt32? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt32(status.st_mode) & 0o777
    }
}

/// A file or folder that other users could read or write, as found on opening it.
public struct LoosePermissions: Sendable, Hashable, CustomStringConvertible {
    /// What became of it.
    public enum Outcome: Sendable, Hashable {
        /// Now 0600 (a folder: 0700).
        case tightened
        /// Left as it is: it belongs to the user with this id.
        case ownedByAnotherUser(uid: UInt32)
        /// Left as it is: `chmod` failed for this reason.
        case refused(String)
    }

    public let path: String
    /// The permission bits found, e.g. `0o644`.
    public let mode: UInt32
    /// The bits it should have: `0o600`, or `0o700` for a folder.
    public let wanted: UInt32
    public let isFolder: Bool
    public let outcome: Outcome

    public var isTightened: Bool { outcome == .tightened }

    /// Who could do what: "readable by other users", "readable and writable by other users", ….
    public var exposure: String {
        let readable = mode & 0o044 != 0
        let writable = mode & 0o022 != 0
        switch (readable, writable) {
        case (true, true): return "readable and writable by other users"
        case (true, false): return "readable by other users"
        case (false, true): return "writable by other users"
        case (false, false): return "open to other users"
        }
    }

    /// One finding, for `gloss doctor` and `gloss-server check`: what was found, and
    /// what was done or is left to do.
    public var description: String {
        let found = "\(path) \(isTightened ? "was" : "is") \(exposure) (mode \(Self.octal(mode)))"
        switch outcome {
        case .tightened:
            return "\(found); tightened to \(Self.octal(wanted))"
        case .ownedByAnotherUser(let uid):
            return "\(found) and belongs to user \(uid), so it was left as it is; its owner can run chmod \(Self.octal(wanted)) \(path)"
        case .refused(let reason):
            return "\(found) and could not be tightened (\(reason)); run chmod \(Self.octal(wanted)) \(path)"
        }
    }

    /// One line about every tightened entry of `found`, or nil when none was tightened:
    /// "tightened permissions of x.gloss to 0600 (it was readable by other users)".
    public static func notice(_ found: [LoosePermissions]) -> String? {
        let tightened = found.filter(\.isTightened)
        guard let first = tightened.first else { return nil }
        func list(_ items: [String]) -> String {
            items.count == 1 ? items[0] : items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
        let what =
            Set(tightened.map(\.wanted)).count == 1
            ? list(tightened.map(\.path)) + " to " + octal(first.wanted)
            : list(tightened.map { "\($0.path) to \(octal($0.wanted))" })
        let exposure = Set(tightened.map(\.exposure)).count == 1 ? first.exposure : "open to other users"
        return "tightened permissions of \(what) (\(tightened.count == 1 ? "it was" : "they were") \(exposure))"
    }

    /// `0o644` as "0644".
    public static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// A file or folder that could not be made.
public struct FileModeError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    /// What was attempted: "create", "create the folder".
    public let action: String
    /// The system's reason, e.g. "Permission denied".
    public let reason: String

    init(path: String, action: String, code: Int32) {
        self.path = path
        self.action = action
        reason = Self.message(for: code)
    }

    public var description: String { "cannot \(action) \(path): \(reason)" }

    static func message(for code: Int32) -> String { String(cString: strerror(code)) }
}
