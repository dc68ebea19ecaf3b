import Foundation
import GlossCore
import GlossSync
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// How often each fault strikes a request, while faults are on.
struct FaultRates: Sendable {
    var dropBefore = 0.04
    var dropAfter = 0.04
    var duplicate = 0.04
    var serverError = 0.03
    var hold = 0.03
    var serverCrashBefore = 0.015
    var serverCrashAfter = 0.015
    /// Of snapshot downloads that get through: the connection cut partway through the
    /// body, or a byte of it damaged on the way.
    var snapshotCut = 0.2
    var snapshotDamage = 0.1

    static let none = FaultRates(
        dropBefore: 0, dropAfter: 0, duplicate: 0, serverError: 0, hold: 0, serverCrashBefore: 0, serverCrashAfter: 0,
        snapshotCut: 0, snapshotDamage: 0)
}

/// What the network did to requests in one run.
struct FaultCounts: Sendable, CustomStringConvertible {
    var requests = 0
    var dropBefore = 0
    var dropAfter = 0
    var duplicate = 0
    var serverError = 0
    var held = 0
    var replayed = 0
    var serverCrashes = 0
    var clientCrashes = 0
    var snapshotsCut = 0
    var snapshotsDamaged = 0
    /// First syncs that adopted a snapshot holding changes (not faults: what the faults hit).
    var snapshotsAdopted = 0
    /// With compaction (not faults either): changes the server's compactions dropped, the
    /// replicas' own compactions dropped, and rebuilds of replicas refused behind the floor.
    var serverDropped = 0
    var replicaDropped = 0
    var rebuilds = 0

    var description: String {
        "requests \(requests), dropped before \(dropBefore), dropped after commit \(dropAfter), duplicated \(duplicate), "
            + "5xx \(serverError), held \(held), replayed late \(replayed), server crashes \(serverCrashes), client crashes \(clientCrashes), "
            + "snapshot downloads cut \(snapshotsCut), damaged \(snapshotsDamaged); snapshots adopted \(snapshotsAdopted)"
            + (serverDropped + replicaDropped + rebuilds > 0
                ? "; compaction dropped \(serverDropped) on the server, \(replicaDropped) on replicas; rebuilds \(rebuilds)" : "")
    }

    mutating func add(_ other: FaultCounts) {
        requests += other.requests
        dropBefore += other.dropBefore
        dropAfter += other.dropAfter
        duplicate += other.duplicate
        serverError += other.serverError
        held += other.held
        replayed += other.replayed
        serverCrashes += other.serverCrashes
        clientCrashes += other.clientCrashes
        snapshotsCut += other.snapshotsCut
        snapshotsDamaged += other.snapshotsDamaged
        snapshotsAdopted += other.snapshotsAdopted
        serverDropped += other.serverDropped
        replicaDropped += other.replicaDropped
        rebuilds += other.rebuilds
    }
}

/// The transport between replicas and the in-process server. Each request goes through the
/// server's real routes (Hummingbird's router test client), unless the seeded generator
/// picks a fault for it. Requests run one at a time, from the simulation thread.
final class SimulatedNetwork: Transport {
    let client: any TestClientProtocol
    let server: SimulatedServer
    var random: SimulationRandom
    var rates: FaultRates
    var counts = FaultCounts()
    /// Requests held back, to be delivered late (after newer ones): their answers are lost.
    private(set) var held: [GlossSync.HTTPRequest] = []
    /// The sync in progress stops with a "client crash" at this request (1-based), if set.
    var crashAtRequest: Int?
    /// Whether that crash happens after the server handled the request.
    var crashAfterDelivery = false
    private var requestsThisSync = 0
    /// Called with every push answer that reaches a replica: replica, highest acknowledged seq.
    var acknowledged: (ReplicaID, UInt64) -> Void = { _, _ in }
    var trace: (String) -> Void = { _ in }

    init(client: any TestClientProtocol, server: SimulatedServer, random: SimulationRandom, rates: FaultRates) {
        self.client = client
        self.server = server
        self.random = random
        self.rates = rates
    }

    /// Starts counting requests for a new sync.
    func beginSync() { requestsThisSync = 0 }

    func perform(_ request: GlossSync.HTTPRequest, cancellation _: SyncCancellation) throws(TransportError) -> GlossSync.HTTPResponse {
        counts.requests += 1
        requestsThisSync += 1
        if let crash = crashAtRequest, requestsThisSync >= crash {
            crashAtRequest = nil
            counts.clientCrashes += 1
            if crashAfterDelivery { _ = try? deliver(request) }
            trace("    client crash at request \(requestsThisSync)\(crashAfterDelivery ? " after delivery" : "")")
            throw .other("simulated client crash")
        }
        // A held request may arrive now, after newer ones.
        if !held.isEmpty, random.chance(0.3) { try deliverHeld(index: random.int(0...(held.count - 1))) }
        let r = rates
        switch random.weighted([
            Int(r.dropBefore * 1000), Int(r.dropAfter * 1000), Int(r.duplicate * 1000), Int(r.serverError * 1000),
            Int(r.hold * 1000), Int(r.serverCrashBefore * 1000), Int(r.serverCrashAfter * 1000),
            1000 - Int((r.dropBefore + r.dropAfter + r.duplicate + r.serverError + r.hold + r.serverCrashBefore + r.serverCrashAfter) * 1000),
        ]) {
        case 0:
            counts.dropBefore += 1
            trace("    drop before: \(request.method.rawValue) \(request.path)")
            throw .connectionLost("simulated: dropped before the server")
        case 1:
            counts.dropAfter += 1
            _ = try deliver(request)
            trace("    drop after commit: \(request.method.rawValue) \(request.path)")
            throw .connectionLost("simulated: answer lost")
        case 2:
            counts.duplicate += 1
            let first = try deliver(request)
            let second = try deliver(request)
            trace("    duplicated: \(request.method.rawValue) \(request.path)")
            return random.chance(0.5) ? observed(request, first) : observed(request, second)
        case 3:
            counts.serverError += 1
            trace("    503: \(request.method.rawValue) \(request.path)")
            return GlossSync.HTTPResponse(status: 503, body: Array(#"{"error":{"code":"internal","message":"simulated"}}"#.utf8))
        case 4:
            counts.held += 1
            held.append(request)
            trace("    held: \(request.method.rawValue) \(request.path)")
            throw .timedOut("simulated: held back")
        case 5:
            counts.serverCrashes += 1
            trace("    server crash before: \(request.method.rawValue) \(request.path)")
            try crashServer()
            throw .connectionRefused("simulated: server restarting")
        case 6:
            counts.serverCrashes += 1
            _ = try deliver(request)
            trace("    server crash after commit: \(request.method.rawValue) \(request.path)")
            try crashServer()
            throw .connectionLost("simulated: server crashed")
        default:
            return observed(request, spoiled(request, try deliver(request)))
        }
    }

    /// A snapshot download that arrives cut short (the client resumes it with `Range`) or
    /// with a damaged byte (the client must refuse it and replay the log).
    private func spoiled(_ request: GlossSync.HTTPRequest, _ response: GlossSync.HTTPResponse) -> GlossSync.HTTPResponse {
        guard request.path.hasSuffix("/snapshot"), response.status == 200 || response.status == 206, !response.body.isEmpty
        else { return response }
        var response = response
        if random.chance(rates.snapshotCut) {
            counts.snapshotsCut += 1
            let kept = random.int(0...(response.body.count - 1))
            trace("    snapshot download cut after \(kept) of \(response.body.count) bytes")
            response.body.removeLast(response.body.count - kept)
        } else if random.chance(rates.snapshotDamage) {
            counts.snapshotsDamaged += 1
            let index = random.int(0...(response.body.count - 1))
            trace("    snapshot byte \(index) damaged")
            response.body[index] ^= 0x5A
        }
        return response
    }

    private func crashServer() throws(TransportError) {
        do {
            try server.crash()
        } catch {
            throw .other("the server cannot reopen: \(error)")
        }
    }

    /// Delivers one held request now; its answer goes nowhere.
    func deliverHeld(index: Int) throws(TransportError) {
        let request = held.remove(at: index)
        counts.replayed += 1
        trace("    late delivery: \(request.method.rawValue) \(request.path)")
        _ = try deliver(request)
    }

    /// Delivers every held request (before the run's final, fault-free syncs).
    func flushHeld() throws(TransportError) {
        while !held.isEmpty { try deliverHeld(index: 0) }
    }

    /// Notes the acknowledgement in a push answer that reaches the replica.
    private func observed(_ request: GlossSync.HTTPRequest, _ response: GlossSync.HTTPResponse) -> GlossSync.HTTPResponse {
        if request.method == .post, response.status == 200, let body = request.body,
            let replica = (try? JSONParser.parse(bytes: body))?["replica"]?.stringValue.flatMap({ ReplicaID($0) }),
            let maxSeq = (try? JSONParser.parse(bytes: response.body))?["maxSeq"]?.intValue
        {
            acknowledged(replica, UInt64(maxSeq))
        }
        return response
    }

    /// Sends a request through the server's routes.
    private func deliver(_ request: GlossSync.HTTPRequest) throws(TransportError) -> GlossSync.HTTPResponse {
        var headers = HTTPFields()
        for (name, value) in request.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        if request.body != nil { headers[.contentType] = "application/json" }
        let method: HTTPTypes.HTTPRequest.Method
        switch request.method {
        case .get: method = .get
        case .post: method = .post
        case .delete: method = .delete
        }
        let client = client
        let fields = headers
        let body = request.body.map { ByteBuffer(bytes: $0) }
        do {
            return try runBlocking {
                let response = try await client.executeRequest(uri: request.path, method: method, headers: fields, body: body)
                var headers: [String: String] = [:]
                for field in response.headers { headers[field.name.canonicalName] = field.value }
                return GlossSync.HTTPResponse(status: response.status.code, body: Array(response.body.readableBytesView), headers: headers)
            }
        } catch {
            throw .other("the router failed: \(error)")
        }
    }
}
