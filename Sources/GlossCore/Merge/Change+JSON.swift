extension VectorClock {
    /// `{"REPLICA": seq, …}`.
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: entries.map { ($0.key.description, JSONValue.int(Int64($0.value))) }))
    }

    /// Reads `{"REPLICA": seq, …}`; `nil` if any key is not a replica id or any seq is not positive.
    public init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        var entries: [ReplicaID: UInt64] = [:]
        for (key, value) in object {
            guard let replica = ReplicaID(key), let seq = value.intValue, seq > 0,
                replica.description == key
            else { return nil }
            entries[replica] = UInt64(seq)
        }
        self.init(entries)
    }
}

extension Change {
    /// The change as JSON; `content` is spliced in as the stored canonical text, never
    /// re-encoded. Keys are written in sorted order, so the output is canonical.
    public func writeJSON(to output: inout [UInt8]) {
        func key(_ name: String, first: Bool = false) {
            if !first { output.append(UInt8(ascii: ",")) }
            CanonicalJSON.writeString(name, to: &output)
            output.append(UInt8(ascii: ":"))
        }
        output.append(UInt8(ascii: "{"))
        var first = true
        if let author {
            key("author", first: true)
            CanonicalJSON.writeString(author, to: &output)
            first = false
        }
        key("clock", first: first)
        CanonicalJSON.write(clock.json, to: &output)
        if let content {
            key("content")
            output.append(contentsOf: content.utf8)
        }
        key("entity")
        CanonicalJSON.writeString(entity, to: &output)
        key("kind")
        CanonicalJSON.writeString(kind.rawValue, to: &output)
        key("op")
        CanonicalJSON.writeString(operation.rawValue, to: &output)
        key("replaces")
        CanonicalJSON.write(.array(replaces.map { .string($0.description) }), to: &output)
        key("replica")
        CanonicalJSON.writeString(dot.replica.description, to: &output)
        key("seq")
        output.append(contentsOf: String(dot.seq).utf8)
        key("time")
        CanonicalJSON.writeString(timestamp.description, to: &output)
        output.append(UInt8(ascii: "}"))
    }

    /// The change as a canonical JSON string.
    public var jsonString: String {
        var output: [UInt8] = []
        writeJSON(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Reads a change from its JSON form, checking every field's type and shape.
    public init(json: JSONValue) throws(ChangeError) {
        guard let object = json.objectValue else { throw .unreadable("a change must be a JSON object") }
        guard let replicaText = object["replica"]?.stringValue, let replica = ReplicaID(replicaText),
            replica.description == replicaText
        else { throw .unreadable("'replica' must be a replica id (26 uppercase Crockford base32 characters)") }
        guard let seqValue = object["seq"]?.intValue, seqValue > 0 else {
            throw .unreadable("'seq' must be a positive integer")
        }
        let dot = Dot(replica: replica, seq: UInt64(seqValue))
        guard let kindText = object["kind"]?.stringValue, let kind = EntityKind(rawValue: kindText) else {
            throw .malformed(dot: dot, reason: "'kind' must be \"article\" or \"annotation\"")
        }
        guard let entity = object["entity"]?.stringValue,
            kind == .article ? Article.isValidID(entity) : Annotation.isValidID(entity)
        else { throw .malformed(dot: dot, reason: "'entity' must be a valid \(kind.rawValue) id") }
        guard let opText = object["op"]?.stringValue, let operation = ChangeOperation(rawValue: opText) else {
            throw .malformed(dot: dot, reason: "'op' must be \"put\" or \"delete\"")
        }
        guard let clockJSON = object["clock"], let clock = VectorClock(json: clockJSON) else {
            throw .malformed(dot: dot, reason: "'clock' must map replica ids to positive integers")
        }
        guard let timeText = object["time"]?.stringValue, let timestamp = HybridTimestamp(timeText) else {
            throw .malformed(dot: dot, reason: "'time' must be a hybrid timestamp WALL.COUNTER")
        }
        guard let replacesTexts = object["replaces"]?.stringArrayValue else {
            throw .malformed(dot: dot, reason: "'replaces' must be an array of dots")
        }
        var replaces: [Dot] = []
        for text in replacesTexts {
            guard let replaced = Dot(text) else { throw .malformed(dot: dot, reason: "'replaces' holds '\(text)', not a dot") }
            replaces.append(replaced)
        }
        var content: String? = nil
        var parsed: EntityContent? = nil
        if let value = object["content"], value != .null {
            guard let fields = value.objectValue else { throw .malformed(dot: dot, reason: "'content' must be an object") }
            content = CanonicalJSON.string(value)
            // Keep the parse when reading the canonical text back would give the same value.
            if CanonicalJSON.roundTrips(value) { parsed = fields }
        }
        let author = object["author"]?.stringValue
        if object["author"] != nil, author == nil { throw .malformed(dot: dot, reason: "'author' must be a string") }
        self.init(
            dot: dot, kind: kind, entity: entity, operation: operation, clock: clock, timestamp: timestamp,
            replaces: replaces.sorted(), content: content, author: author)
        parsedContent = parsed
        try validateShape()
    }
}
