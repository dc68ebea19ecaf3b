import Testing

@testable import GlossCore

/// The wire layer: every body reads back what it writes, refuses what is not one with
/// a typed error, and the routes match exactly the paths the clients build.
@Suite struct WireTests {
    func bytes(_ value: JSONValue) -> [UInt8] { Array(CanonicalJSON.string(value).utf8) }

    @Test func pushBodyRoundTrip() throws {
        let replica = r(7)
        var writer = PushRequest.Writer(replica: replica)
        let first = ChangeJSONTests.put()
        var second = ChangeJSONTests.put()
        second.dot = Dot(replica: first.dot.replica, seq: first.dot.seq + 1)
        let appended = (writer.append(first), writer.append(second))
        #expect(appended == (true, true))
        let body = writer.finish()
        let read = try PushRequest(json: try JSONParser.parse(bytes: body))
        #expect(read.replica == replica)
        #expect(read.changes.count == 2)
        // The author is the server's to set: a push never carries one.
        var sent = try Change(json: read.changes[0])
        #expect(sent.author == nil)
        sent.author = first.author
        #expect(sent == first)
        #expect(read.seen == nil)
    }

    @Test func pushBodyCarriesWhatTheReplicaHasPulled() throws {
        let seen = PullPosition(after: 4_812, epoch: String(repeating: "ab", count: 16))
        var writer = PushRequest.Writer(replica: r(7), seen: seen)
        let appended = writer.append(ChangeJSONTests.put())  // a mutating call cannot sit inside #expect
        #expect(appended)
        let read = try PushRequest(json: try JSONParser.parse(bytes: writer.finish()))
        #expect(read.seen == seen)
        #expect(read.changes.count == 1)
        // Both or neither, and an epoch of the right shape.
        let replica = JSONValue.string(r(7).description)
        for object: JSONValue in [
            ["replica": replica, "changes": [], "after": 3],
            ["replica": replica, "changes": [], "epoch": .string(seen.epoch)],
            ["replica": replica, "changes": [], "after": 3, "epoch": "nope"],
            ["replica": replica, "changes": [], "after": -1, "epoch": .string(seen.epoch)],
        ] {
            #expect(throws: WireError.self, "\(object)") { try PushRequest(json: object) }
        }
    }

    @Test func pushWriterKeepsToItsBytesButNeverSendsNothing() {
        var writer = PushRequest.Writer(replica: r(1))
        // The first change always goes in, however small the bound.
        let first = writer.append(ChangeJSONTests.put(), maxBytes: 10)
        let bound = writer.bytes.count + 5
        let second = writer.append(ChangeJSONTests.put(), maxBytes: bound)
        #expect(first && !second)
        #expect(writer.count == 1)
    }

    @Test func pushBodyRefusals() {
        #expect(throws: WireError.notAnObject(shape: PushRequest.shape)) { try PushRequest(json: [1]) }
        let lowercase = ReplicaID(high: 0xABCD, low: 0x1234).description.lowercased()
        #expect(throws: WireError.self) { try PushRequest(json: ["replica": .string(lowercase), "changes": []]) }
        #expect(throws: WireError.invalidMember("changes", expected: "an array")) {
            try PushRequest(json: ["replica": .string(r(3).description), "changes": "x"])
        }
    }

    @Test func pushResponseRoundTrip() throws {
        let answer = PushResponse(stored: 3, duplicates: 2, maxSeq: 41)
        #expect(try PushResponse(bytes: bytes(answer.json)) == answer)
        #expect(throws: WireError.self) { try PushResponse(bytes: Array(#"{"stored":1,"duplicates":0}"#.utf8)) }
        #expect(throws: WireError.self) { try PushResponse(bytes: Array(#"{"stored":1,"duplicates":0,"maxSeq":-1}"#.utf8)) }
        #expect(throws: WireError.self) { try PushResponse(bytes: Array("not json".utf8)) }
    }

    @Test func pullQueryRoundTrip() throws {
        let queries = [
            PullQuery(after: 0), PullQuery(after: 17, limit: 500), PullQuery(after: 9, limit: 1, wait: 25, excluding: r(4)),
        ]
        for query in queries {
            let text = query.queryString
            #expect(text.hasPrefix("?after="))
            var parameters: [String: String] = [:]
            for pair in text.dropFirst().split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                parameters[String(parts[0])] = String(parts[1])
            }
            let read = try PullQuery(parameter: { parameters[$0] }, defaultLimit: 100, maxLimit: 1_000, maxWait: 30)
            #expect(read.after == query.after)
            #expect(read.limit == (query.limit ?? 100))
            #expect(read.wait == query.wait)
            #expect(read.excluding == query.excluding)
        }
    }

    @Test(arguments: [
        ("after", "-1"), ("after", "x"), ("limit", "0"), ("limit", "1001"), ("wait", "31"), ("exclude", "abc"),
        ("exclude", ReplicaID(high: 0xABCD, low: 0x1234).description.lowercased()),
    ])
    func pullQueryRefusals(name: String, value: String) {
        #expect(throws: WireError.self) {
            try PullQuery(parameter: { $0 == name ? value : nil }, defaultLimit: 100, maxLimit: 1_000, maxWait: 30)
        }
    }

    @Test func pullResponseAsTheServerWritesIt() throws {
        let change = ChangeJSONTests.put()
        let body = PullResponse.bodyPrefix + change.jsonString + PullResponse.bodySuffix(cursor: 12, epoch: "9f3a", more: true, latest: 30)
        let page = try PullResponse(bytes: Array(body.utf8))
        #expect(page.cursor == 12)
        #expect(page.epoch == "9f3a")
        #expect(page.more)
        #expect(page.latest == 30)
        #expect(page.floor == 0)
        #expect(try Change(json: page.changes[0]) == change)
        let compacted = PullResponse.bodyPrefix + PullResponse.bodySuffix(cursor: 40, epoch: "9f3a", more: false, latest: 40, floor: 25)
        #expect(try PullResponse(bytes: Array(compacted.utf8)).floor == 25)
        // A server from before compaction leaves the floor out: never compacted.
        #expect(try PullResponse(bytes: Array(#"{"changes":[],"cursor":0,"epoch":"e","more":false}"#.utf8)).floor == 0)
        // An epoch that needs escaping still reads back.
        let odd = PullResponse.bodyPrefix + PullResponse.bodySuffix(cursor: 0, epoch: "a\"b\\c", more: false, latest: 0)
        #expect(try PullResponse(bytes: Array(odd.utf8)).epoch == "a\"b\\c")
    }

    @Test func pullResponseRefusals() {
        for body in [
            #"{"changes":[],"cursor":0,"epoch":"","more":false}"#, #"{"changes":[],"cursor":0,"epoch":"e"}"#,
            #"{"changes":{},"cursor":0,"epoch":"e","more":false}"#, #"{"changes":[],"cursor":-4,"epoch":"e","more":false}"#, "[]",
        ] {
            #expect(throws: WireError.self, "\(body)") { try PullResponse(bytes: Array(body.utf8)) }
        }
    }

    @Test func errorBodyKeepsCodesItDoesNotKnow() throws {
        let gap = ErrorBody(code: .seqGap, message: "push seq 4 next", expected: 4)
        #expect(ErrorBody(bytes: bytes(gap.json)) == gap)
        let mismatch = ErrorBody(code: .protocolMismatch, message: "m", supported: "1")
        #expect(ErrorBody(bytes: bytes(mismatch.json)) == mismatch)
        let future = ErrorBody(bytes: Array(#"{"error":{"code":"snapshot_expired","message":"fetch it again"}}"#.utf8))
        #expect(future?.code.rawValue == "snapshot_expired")
        #expect(future.map { ErrorCode.known.contains($0.code) } == false)
        #expect(ErrorBody(bytes: Array("<html>502</html>".utf8)) == nil)
    }

    @Test func adminBodiesRoundTrip() throws {
        let summary = CorpusSummary(name: "news", createdAt: "2026-12-05T02:00:00Z", changes: 12, user: "ayşe", scope: .admin)
        #expect(try CorpusSummary(bytes: bytes(summary.json)) == summary)
        let active = TokenInfo(id: 3, user: "bora", scope: .read, createdAt: "2026-12-05T02:00:00Z", revokedAt: nil)
        let created = TokenInfo(id: 4, user: "cem", scope: .write, createdAt: "t", revokedAt: nil, secret: "gloss_00")
        let revoked = TokenInfo(id: 5, user: "deniz", scope: .admin, createdAt: "t", revokedAt: "u")
        #expect(try TokenInfo(bytes: bytes(created.json)) == created)
        #expect(try TokenList(bytes: bytes(TokenList(tokens: [active, revoked]).json)).tokens == [active, revoked])
        #expect(try CreateTokenRequest(json: ["user": "bora"]).scope == .write)
        #expect(throws: WireError.self) { try CreateTokenRequest(json: ["user": "bora", "scope": "owner"]) }
        let deleted = DeletedCorpus(name: "news", changes: 40)
        #expect(try DeletedCorpus(bytes: bytes(deleted.json)) == deleted)
        // A scope this version does not know is refused, never read as a lesser one.
        #expect(throws: WireError.self) {
            try CorpusSummary(bytes: Array(#"{"name":"n","createdAt":"t","changes":0,"user":"u","scope":"owner"}"#.utf8))
        }
    }

    @Test func pathsAndRoutesAgree() {
        #expect(WireRoute.changesPath("news") == "/v1/corpora/news/changes")
        #expect(WireRoute.tokenPath("news", id: 7) == "/v1/corpora/news/tokens/7")
        #expect(WireRoute.deleteCorpusPath("a b/ç") == "/v1/corpora/a%20b%2F%C3%A7?confirm=a%20b%2F%C3%A7")
        #expect(WireRoute.matching(path: WireRoute.healthPath) == .health)
        #expect(WireRoute.matching(path: WireRoute.corpusPath("news")) == .corpus)
        #expect(WireRoute.matching(path: WireRoute.changesPath("news")) == .changes)
        #expect(WireRoute.matching(path: WireRoute.tokensPath("news")) == .tokens)
        #expect(WireRoute.matching(path: WireRoute.tokenPath("news", id: 1)) == .token)
        #expect(WireRoute.matching(path: "/metrics") == .metrics)
        #expect(WireRoute.matching(path: "/v1/corpora/news/elsewhere") == nil)
        #expect(WireRoute.matching(path: "/v1/corpora") == nil)
        // Every route is reachable by exactly one pattern.
        for route in WireRoute.allCases {
            #expect(WireRoute.allCases.filter { $0.segments == route.segments } == [route])
        }
    }

    @Test func requestHeadersCarryTheVersionAndToken() {
        let headers = GlossProtocol.requestHeaders(token: "gloss_ab")
        #expect(headers.contains { $0.name == "Gloss-Protocol" && $0.value == GlossProtocol.version })
        #expect(headers.contains { $0.name == "Authorization" && $0.value == "Bearer gloss_ab" })
    }
}
