/// Why a protocol body could not be read: what the server answers as `400` when a client
/// sends it, and what a client reports as an invalid response when a server does.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not JSON.
    case notJSON(JSONParseError)
    /// The body is not the JSON object the protocol expects; `shape` spells what it should be.
    case notAnObject(shape: String)
    /// A member is missing or of the wrong type; `expected` says what it must be.
    case invalidMember(String, expected: String)
    /// A query parameter is not what the protocol expects.
    case invalidParameter(String, expected: String)

    public var description: String {
        switch self {
        case .notJSON(let error): return "the body is not JSON: \(error)"
        case .notAnObject(let shape): return "the body must be an object \(shape)"
        case .invalidMember(let name, let expected): return "'\(name)' must be \(expected)"
        case .invalidParameter(let name, let expected): return "'\(name)' must be \(expected)"
        }
    }
}

/// Reading JSON members with typed errors.
extension JSONValue {
    /// Parses a body that must be a JSON object.
    static func wireObject(_ bytes: [UInt8], shape: String) throws(WireError) -> [String: JSONValue] {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes: bytes)
        } catch {
            throw .notJSON(error)
        }
        guard let object = json.objectValue else { throw .notAnObject(shape: shape) }
        return object
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    func wireString(_ name: String) throws(WireError) -> String {
        guard let value = self[name]?.stringValue else { throw .invalidMember(name, expected: "a string") }
        return value
    }

    func wireInt(_ name: String, minimum: Int64 = 0) throws(WireError) -> Int64 {
        guard let value = self[name]?.intValue, value >= minimum else {
            throw .invalidMember(name, expected: "an integer of at least \(minimum)")
        }
        return value
    }

    func wireBool(_ name: String) throws(WireError) -> Bool {
        guard case .bool(let value)? = self[name] else { throw .invalidMember(name, expected: "true or false") }
        return value
    }

    func wireArray(_ name: String) throws(WireError) -> [JSONValue] {
        guard let value = self[name]?.arrayValue else { throw .invalidMember(name, expected: "an array") }
        return value
    }

    func wireScope(_ name: String) throws(WireError) -> Scope {
        guard let text = self[name]?.stringValue, let scope = Scope(rawValue: text) else {
            throw .invalidMember(name, expected: #""read", "write" or "admin""#)
        }
        return scope
    }

    func wireReplica(_ name: String) throws(WireError) -> ReplicaID {
        // Only the canonical spelling, as everywhere a replica id is sent.
        guard let text = self[name]?.stringValue, let replica = ReplicaID(text), replica.description == text else {
            throw .invalidMember(name, expected: "a replica id (26 uppercase Crockford base32 characters)")
        }
        return replica
    }
}
