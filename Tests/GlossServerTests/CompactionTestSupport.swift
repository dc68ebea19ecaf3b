import Foundation
import GlossCore
@testable import GlossServer
import HummingbirdTesting
import Testing

/// The history the compaction tests push, with the position of every change (one entity of
/// each kind a compaction treats differently), pushed by `ayse` (replica A) and `bora` (B):
///
/// | entity | changes (position: dot, clock) | at horizon 13 | at horizon 15 |
/// | --- | --- | --- | --- |
/// | article | 1: A1 | kept (one change) | kept |
/// | e1, edited by A | 2: A2, 3: A3, 4: A4, 8: A8, 15: A13 | 2, 3, 4 dropped (A8 supersedes them) | 8 dropped |
/// | e2, deleted | 5: A5, 9: A9 delete | 5 dropped, the tombstone kept | kept |
/// | e3, open conflict | 6: A6, 11: A11, 12: B1 {A6, B1} | kept (two frontier versions) | kept |
/// | e4, two maximal, resolved | 7: A7, 10: A10, 13: B2 {A7, B2}, 14: A12 {A12, B2} | kept (A10 and B2 maximal) | 7, 10, 13 dropped |
struct CompactionHistory {
    var a = ReplicaLog()
    var b = ReplicaLog()
    /// Every change pushed, by position.
    private(set) var byPosition: [Int64: Change] = [:]

    static let droppedAt13: Set<Int64> = [2, 3, 4, 5]
    static let droppedAt15: Set<Int64> = [2, 3, 4, 5, 7, 8, 10, 13]

    func dots(at positions: some Sequence<Int64>) -> [Dot] { positions.sorted().map { byPosition[$0]!.dot } }

    /// The positions 1…15 but `dropped`.
    static func kept(_ dropped: Set<Int64>) -> [Int64] { (1...15).filter { !dropped.contains($0) } }

    /// Pushes the history: positions 1…15.
    mutating func push(_ client: some TestClientProtocol, _ server: TestServer) async throws {
        let article = sampleArticle(0)
        let e1 = try sampleAnnotation(on: article, start: 0, end: 5)
        let e2 = try sampleAnnotation(on: article, start: 6, end: 9)
        let e3 = try sampleAnnotation(on: article, start: 10, end: 14)
        let e4 = try sampleAnnotation(on: article, start: 15, end: 20)
        func edit(_ log: inout ReplicaLog, _ annotation: Annotation, note: String, clock: VectorClock = VectorClock()) -> Change {
            var annotation = annotation
            annotation.note = note
            return log.put(annotation, clock: clock.including(Dot(replica: log.replica, seq: max(log.seq, 1))))
        }
        var first: [Change] = [a.put(article)]  // A1
        first.append(edit(&a, e1, note: "1"))  // A2
        first.append(edit(&a, e1, note: "2"))  // A3
        first.append(edit(&a, e1, note: "3"))  // A4
        first.append(edit(&a, e2, note: "1"))  // A5
        first.append(edit(&a, e3, note: "1"))  // A6
        first.append(edit(&a, e4, note: "1"))  // A7
        try await send(client, server.ayse, a.replica, first, from: 1)
        var second: [Change] = [edit(&a, e1, note: "4")]  // A8
        second.append(a.next(kind: .annotation, entity: e2.id, operation: .delete, content: nil, clock: VectorClock([a.replica: a.seq])))  // A9
        second.append(edit(&a, e4, note: "A"))  // A10
        second.append(edit(&a, e3, note: "A"))  // A11
        try await send(client, server.ayse, a.replica, second, from: 8)
        let fromB = [
            b.put(e3, clock: VectorClock([a.replica: 6])),  // B1: supersedes A6, concurrent with A11
            b.put(e4, clock: VectorClock([a.replica: 7, b.replica: 1])),  // B2: supersedes A7, concurrent with A10
        ]
        try await send(client, server.bora, b.replica, fromB, from: 12)
        var third = [edit(&a, e4, note: "settled", clock: VectorClock([b.replica: 2]))]  // A12: supersedes A10 and B2
        third.append(edit(&a, e1, note: "5"))  // A13
        try await send(client, server.ayse, a.replica, third, from: 14)
    }

    private mutating func send(_ client: some TestClientProtocol, _ token: String, _ replica: ReplicaID, _ changes: [Change], from: Int64)
        async throws
    {
        try expectPushed(try await client.push(token: token, replica: replica, changes: changes), stored: changes.count, duplicates: 0,
            maxSeq: Int(changes.last!.dot.seq))
        for (offset, change) in changes.enumerated() { byPosition[from + Int64(offset)] = change }
    }
}

extension TestServer {
    var corpusID: Int64 {
        get async throws { try #require(try await storage.corpora(named: TestServer.corpus).first).id }
    }

    /// Records that each of `replicas` has pulled up to `position` (as a pull naming the
    /// current epoch does), so the horizon is the lowest of them.
    func sawPulled(_ replicas: [ReplicaID], upTo position: Int64) async throws {
        let id = try await corpusID
        try await storage.recordSightings(
            replicas.map { ReplicaSighting(corpusID: id, replica: $0.description, user: "ayse", pulledPosition: position, at: PlainFormat.now()) })
    }

    /// The corpus's epoch, as pages carry it.
    var epoch: String {
        get async throws { try #require(try await storage.grant(forTokenHash: Tokens.hash(ayse))).epoch }
    }
}

extension TestClientProtocol {
    /// A push body with what the replica has seen (`after`, `epoch`), or without.
    func push(token: String, replica: ReplicaID, seen: PullPosition?, changes: [Change]) async throws -> Answer {
        var body = "{\"replica\":\"\(replica)\","
        if let seen {
            body += "\"after\":\(seen.after),"
            if let epoch = seen.epoch { body += "\"epoch\":\"\(epoch)\"," }
        }
        body += "\"changes\":[" + changes.map(\.jsonString).joined(separator: ",") + "]}"
        return try await push(token: token, body: body)
    }
}
