import Hummingbird
import GlossCore
import Logging

/// `POST` and `GET /v1/corpora/{corpus}/changes`: the push and pull of the protocol
/// (docs/protocol.md).
struct SyncRoutes {
    let storage: any Storage
    let limits: Limits
    let metrics: ServerMetrics
    /// Wakes long polls when a push commits (see ``ChangeNotifier``).
    let changes: ChangeNotifier
    /// Builds snapshots as corpora grow (`serve --snapshot-every`), if on.
    let snapshots: AutoSnapshots?
    /// Records who has seen what, if on.
    let replicas: ReplicaBookkeeping?

    func add(to group: RouterGroup<GlossRequestContext>) {
        group.on(.changes, method: .post) { request, context in try await push(request, context) }
        group.on(.changes, method: .get) { request, context in try await pull(request, context) }
    }

    func push(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .write)
        let pushed: PushRequest
        do {
            pushed = try PushRequest(json: try await Body.json(request, limits: limits))
        } catch let error as WireError {
            throw APIError.badRequest(error)
        }
        let replica = pushed.replica
        let changesJSON = pushed.changes
        guard changesJSON.count <= limits.maxBatchChanges else {
            throw APIError.tooLarge("a batch holds at most \(limits.maxBatchChanges) changes; send smaller batches")
        }
        var incoming: [IncomingChange] = []
        incoming.reserveCapacity(changesJSON.count)
        for (index, json) in changesJSON.enumerated() {
            var change: Change
            do {
                change = try Change(json: json)
            } catch {
                throw APIError.invalidChange("change \(index): \(error)")
            }
            guard change.dot.replica == replica else {
                throw APIError(
                    .forbidden, .forbiddenDot, "change \(index) has dot \(change.dot): a replica may only push its own changes")
            }
            if let previous = incoming.last, change.dot.seq != previous.change.dot.seq + 1 {
                throw APIError.invalidChange("changes must be in seq order without gaps: \(previous.change.dot.seq) then \(change.dot.seq)")
            }
            do throws(ValidationError) {
                if let content = try? change.version().content {
                    switch change.kind {
                    case .article: _ = try Article(id: change.entity, content: content, limits: limits.content)
                    case .annotation: _ = try Annotation(id: change.entity, content: content, limits: limits.content)
                    }
                }
            } catch {
                throw APIError.invalidChange("change \(change.dot): \(error)")
            }
            change.author = grant.user
            incoming.append(IncomingChange(change: change, wire: change.jsonString))
        }
        let result: PushResult
        do {
            result = try await storage.push(
                corpusID: grant.corpusID, user: grant.user, replica: replica, seen: pushed.seen, changes: incoming)
        } catch let error as StorageError {
            if case .behindFloor = error { await retire(replica, grant) }
            throw APIError.from(error)
        }
        metrics.recordPush(result)
        replicas?.saw(corpusID: grant.corpusID, replica: replica, user: grant.user, pulledPosition: nil)
        if let position = result.position {
            changes.notify(corpusID: grant.corpusID, position: position)
            snapshots?.pushed(corpusID: grant.corpusID, corpus: grant.corpus, position: position)
        }
        let answer = PushResponse(stored: result.stored, duplicates: result.duplicates, maxSeq: result.maxSeq)
        return Body.response(Array(CanonicalJSON.string(answer.json).utf8), request: request, limits: limits)
    }

    func pull(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .read)
        let parameters = request.uri.queryParameters
        let query: PullQuery
        do {
            query = try PullQuery(
                parameter: { parameters[$0[...]].map(String.init) }, defaultLimit: limits.defaultPageChanges,
                maxLimit: limits.maxPageChanges, maxWait: limits.maxWaitSeconds)
        } catch {
            throw APIError.badRequest(error)
        }
        let after = query.after
        let limit = query.limit ?? limits.defaultPageChanges
        let wait = query.wait
        let excluding = query.excluding
        func readPage() async throws -> PullPage {
            let page = try await storage.pull(
                corpusID: grant.corpusID, after: after, limit: limit, maxBytes: limits.pageBytes, excluding: excluding)
            if FloorRule.refusesPull(after: after, namesEpoch: query.epoch != nil, floor: page.floor) {
                throw StorageError.behindFloor(corpus: grant.corpus, floor: page.floor, after: after, otherEpoch: query.epoch != grant.epoch)
            }
            return page
        }

        var page: PullPage
        do {
            if wait > 0 {
                // Long poll: held until a change commits (any server's push wakes it), the wait is
                // over, or the server begins to stop (a stopping server answers at once instead of
                // holding its stop). A page that only passed over the puller's own changes still
                // moved the cursor: that is an answer too.
                page = try await changes.poll(
                    corpusID: grant.corpusID, after: after, until: .now + .seconds(wait), read: readPage,
                    isAnswer: { $0.count > 0 || $0.cursor != after })
            } else {
                page = try await readPage()
            }
        } catch let error as StorageError {
            if case .behindFloor = error, let excluding { await retire(excluding, grant) }
            throw APIError.from(error)
        }
        metrics.recordPull(changes: page.count)
        // Read with the page, in the same snapshot (a page may pass a position read later).
        let latest = max(page.latest, page.cursor)
        if let excluding {
            // A replica names itself with `exclude`; `after` is what it holds when it counts
            // in the current epoch (and no more than the corpus has).
            replicas?.saw(
                corpusID: grant.corpusID, replica: excluding, user: grant.user,
                pulledPosition: query.epoch == grant.epoch ? min(after, latest) : nil)
        }
        var body = page.body
        page.body = ByteBuffer()  // so the page's bytes are held once, by `body`
        body.writeString(
            PullResponse.bodySuffix(cursor: page.cursor, epoch: grant.epoch, more: page.more, latest: latest, floor: page.floor))
        return Body.response(body, request: request, limits: limits)
    }

    /// Retires a replica refused for being behind the compaction floor: it comes back under
    /// a new id once rebuilt, and the horizon must not wait for this one. Best effort: a
    /// replica never recorded has nothing to retire, and a failure only leaves it active
    /// until `--retire-after`.
    private func retire(_ replica: ReplicaID, _ grant: Grant) async {
        replicas?.forget(corpusID: grant.corpusID, replica: replica)
        _ = try? await storage.retireReplica(corpus: grant.corpus, replica: replica.description)
    }
}
