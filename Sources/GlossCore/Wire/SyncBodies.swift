/// The body of a push, `POST /v1/corpora/{corpus}/changes`: `{"replica", "changes"}`,
/// the replica's own changes in seq order without gaps, and optionally `"after"` and
/// `"epoch"`: the pull cursor the replica holds durably and the epoch it counts in.
public struct PushRequest: Sendable {
    /// The pushing replica; every change's dot is its own.
    public var replica: ReplicaID
    /// The changes as sent, each read with ``Change/init(json:)`` by whoever checks them.
    public var changes: [JSONValue]
    /// What the pushing replica has pulled: its changes were made knowing every change up
    /// to this position (of ``epoch``). A server that compacted its log past it refuses the
    /// push with ``ErrorCode/resyncRequired``, because those changes may be concurrent with
    /// versions whose ancestors it no longer holds. `nil` from clients before compaction.
    public var seen: PullPosition?

    static let shape = #"{"replica", "changes", "after"?, "epoch"?}"#

    public init(replica: ReplicaID, changes: [JSONValue], seen: PullPosition? = nil) {
        self.replica = replica
        self.changes = changes
        self.seen = seen
    }

    /// Reads a push body.
    public init(json: JSONValue) throws(WireError) {
        guard let object = json.objectValue else { throw .notAnObject(shape: Self.shape) }
        replica = try object.wireReplica("replica")
        changes = try object.wireArray("changes")
        switch (object["after"], object["epoch"]) {
        case (nil, nil): seen = nil
        case (nil, _): throw .invalidMember("after", expected: "given with \"epoch\"")
        case (_, nil):
            // A replica that never pulled has no epoch yet.
            guard try object.wireInt("after") == 0 else { throw .invalidMember("epoch", expected: "given with an \"after\" above 0") }
            seen = PullPosition(after: 0, epoch: nil)
        default:
            let epoch = try object.wireString("epoch")
            guard PullQuery.isEpoch(epoch) else { throw .invalidMember("epoch", expected: "an epoch: 32 lowercase hex digits") }
            seen = PullPosition(after: try object.wireInt("after"), epoch: epoch)
        }
    }

    /// Writes a push body change by change, without holding the changes twice: the
    /// client's store appends each change's wire JSON as it reads it from the log.
    public struct Writer: Sendable {
        public private(set) var bytes: [UInt8]
        /// How many changes it holds.
        public private(set) var count = 0

        /// - Parameter seen: the replica's durable pull position, sent so that a server that
        ///   compacted past it can refuse the push (see ``PushRequest/seen``).
        public init(replica: ReplicaID, seen: PullPosition? = nil) {
            bytes = Array(#"{"replica":""#.utf8) + Array(replica.description.utf8) + Array(#"","#.utf8)
            if let seen {
                bytes += Array(#""after":\#(seen.after),"#.utf8)
                if let epoch = seen.epoch {
                    bytes += Array(#""epoch":"#.utf8)
                    CanonicalJSON.writeString(epoch, to: &bytes)
                    bytes.append(UInt8(ascii: ","))
                }
            }
            bytes += Array(#""changes":["#.utf8)
        }

        /// Appends a change (its author is the server's to set, so it is left out).
        /// - Returns: false, appending nothing, when the body already holds a change and
        ///   this one would take it over `maxBytes`.
        public mutating func append(_ change: Change, maxBytes: Int = .max) -> Bool {
            var change = change
            change.author = nil
            var encoded: [UInt8] = []
            change.writeJSON(to: &encoded)
            if count > 0, bytes.count + encoded.count > maxBytes { return false }
            if count > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: encoded)
            count += 1
            return true
        }

        /// The finished body.
        public func finish() -> [UInt8] { bytes + Array("]}".utf8) }
    }
}

/// A position in a corpus's history of positions: a pull cursor and the epoch it counts in.
public struct PullPosition: Sendable, Hashable {
    /// Every change at a position up to this one was pulled.
    public var after: Int64
    /// The epoch `after` counts in; `nil` only with `after == 0` (nothing pulled yet).
    public var epoch: String?

    public init(after: Int64, epoch: String?) {
        self.after = after
        self.epoch = epoch
    }
}

/// The answer to a push: `{"stored", "duplicates", "maxSeq"}`.
public struct PushResponse: Sendable, Hashable {
    /// Changes the server newly stored.
    public var stored: Int
    /// Changes it held already (a retried batch).
    public var duplicates: Int
    /// The highest seq of the replica the server now holds.
    public var maxSeq: UInt64

    public init(stored: Int, duplicates: Int, maxSeq: UInt64) {
        self.stored = stored
        self.duplicates = duplicates
        self.maxSeq = maxSeq
    }

    public var json: JSONValue {
        ["stored": .int(Int64(stored)), "duplicates": .int(Int64(duplicates)), "maxSeq": .int(Int64(maxSeq))]
    }

    public init(bytes: [UInt8]) throws(WireError) {
        let object = try JSONValue.wireObject(bytes, shape: #"{"stored", "duplicates", "maxSeq"}"#)
        stored = Int(try object.wireInt("stored"))
        duplicates = Int(try object.wireInt("duplicates"))
        maxSeq = UInt64(try object.wireInt("maxSeq"))
    }
}

/// The query of a pull, `GET /v1/corpora/{corpus}/changes?after=…&limit=…&wait=…&exclude=…`.
public struct PullQuery: Sendable, Hashable {
    /// The cursor: changes at positions after it.
    public var after: Int64
    /// At most this many changes; `nil` leaves it to the server.
    public var limit: Int?
    /// Long poll: seconds to wait for a change when none is there yet (0: answer at once).
    public var wait: Int
    /// Passes over this replica's own changes (the cursor still moves past them). A
    /// replica names itself here: the server records what each replica has seen by it.
    public var excluding: ReplicaID?
    /// The epoch `after` counts in, as the replica last heard it (`nil` before its first
    /// page): the server records `after` as seen only when it names the current epoch.
    public var epoch: String?

    public init(after: Int64, limit: Int? = nil, wait: Int = 0, excluding: ReplicaID? = nil, epoch: String? = nil) {
        self.after = after
        self.limit = limit
        self.wait = wait
        self.excluding = excluding
        self.epoch = epoch
    }

    /// `?after=…` and the parameters that are set.
    public var queryString: String {
        var query = "?after=\(after)"
        if let limit { query += "&limit=\(limit)" }
        if let excluding { query += "&exclude=\(excluding)" }
        if let epoch { query += "&epoch=\(epoch)" }
        if wait > 0 { query += "&wait=\(wait)" }
        return query
    }

    /// Whether `text` has the shape of an epoch: 32 lowercase hex digits.
    public static func isEpoch(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Reads a pull's query parameters as the server gets them.
    /// - Parameters:
    ///   - parameter: a parameter's value by name, `nil` when absent.
    ///   - defaultLimit: the limit when none is given.
    ///   - maxLimit: the largest limit accepted.
    ///   - maxWait: the longest wait accepted, in seconds.
    public init(
        parameter: (String) -> String?, defaultLimit: Int, maxLimit: Int, maxWait: Int
    ) throws(WireError) {
        func integer(_ name: String, default value: Int64, range: ClosedRange<Int64>) throws(WireError) -> Int64 {
            guard let text = parameter(name) else { return value }
            guard let number = Int64(text), range.contains(number) else {
                throw .invalidParameter(name, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        after = try integer("after", default: 0, range: 0...Int64.max)
        limit = Int(try integer("limit", default: Int64(defaultLimit), range: 1...Int64(maxLimit)))
        wait = Int(try integer("wait", default: 0, range: 0...Int64(maxWait)))
        if let text = parameter("exclude") {
            // Only the canonical spelling, as in every other place a replica id is sent.
            guard let replica = ReplicaID(text), replica.description == text else {
                throw .invalidParameter("exclude", expected: "a replica id: 26 uppercase Crockford base32 characters")
            }
            excluding = replica
        }
        if let text = parameter("epoch") {
            guard Self.isEpoch(text) else { throw .invalidParameter("epoch", expected: "an epoch: 32 lowercase hex digits") }
            epoch = text
        }
    }
}

/// A page of a pull: `{"changes", "cursor", "epoch", "more"}`.
public struct PullResponse: Sendable {
    /// The changes as sent, in position order.
    public var changes: [JSONValue]
    /// The position of the last change in the page or passed over: the next pull's `after`.
    public var cursor: Int64
    /// Which history of positions the cursor counts in; another one after the server was
    /// restored from a backup.
    public var epoch: String
    /// Whether more changes wait after the cursor.
    public var more: Bool
    /// The corpus's latest position when the page was read: how far a pull has to go,
    /// for progress (a server before this member was added leaves it out).
    public var latest: Int64?
    /// The corpus's compaction floor: versions at or below it that newer versions
    /// supersede may have been dropped (0, or left out by older servers: never compacted).
    /// A replica whose cursor is below it is refused with ``ErrorCode/resyncRequired``.
    public var floor: Int64

    /// The start of a page's body, before the changes' wire JSON (the server writes a
    /// page's changes straight from storage).
    public static let bodyPrefix = #"{"changes":["#

    /// The end of a page's body, after its changes.
    public static func bodySuffix(cursor: Int64, epoch: String, more: Bool, latest: Int64, floor: Int64 = 0) -> String {
        var epochJSON: [UInt8] = []
        CanonicalJSON.writeString(epoch, to: &epochJSON)
        return #"],"cursor":\#(cursor),"epoch":"# + String(decoding: epochJSON, as: UTF8.self)
            + #","floor":\#(floor),"latest":\#(latest),"more":\#(more)}"#
    }

    public init(bytes: [UInt8]) throws(WireError) {
        let object = try JSONValue.wireObject(bytes, shape: #"{"changes", "cursor", "epoch", "more"}"#)
        changes = try object.wireArray("changes")
        cursor = try object.wireInt("cursor")
        epoch = try object.wireString("epoch")
        guard !epoch.isEmpty else { throw .invalidMember("epoch", expected: "a non-empty string") }
        more = try object.wireBool("more")
        latest = object["latest"] == nil ? nil : try object.wireInt("latest")
        floor = object["floor"] == nil ? 0 : try object.wireInt("floor")
    }
}
