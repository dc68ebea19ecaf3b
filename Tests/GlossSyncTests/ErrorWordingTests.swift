import GlossCore
import GlossStore
import GlossSync
import Testing

/// The libraries' errors say what happened in plain words and carry the values; the
/// `gloss …` commands and `--options` that help a CLI user are the CLI's to add.
@Suite struct ErrorWordingTests {
    static let storeErrors: [StoreError] = [
        .storeMissing(path: "/tmp/a.gloss"), .storeExists(path: "/tmp/a.gloss"), .cannotOpen(path: "/tmp/a.gloss", reason: "denied"),
        .notAStore(path: "/tmp/a.gloss"), .idTooShort("ab"), .notFound(kind: "article", id: "abcdef"),
        .ambiguousID("abcdef", matches: ["abcdef1", "abcdef2"]), .articleDeleted("abcdef"), .quoteNotFound("Bağdat"),
        .quoteAmbiguous("Musul", occurrences: ["1: offset 36", "2: offset 632"]), .occurrenceOutOfRange(6, count: 5),
        .nothingToEdit, .notConflicted("abcdef"), .noSuchVersion("X:1", available: ["A:1", "B:2"]),
        .ambiguousSide(fields: ["note"]), .unresolvedFields(id: "abcdef", fields: ["note"]), .logCorrupted("bad clock"),
        .databaseFailed(reason: "disk full"), .versionNotFound(id: "abcdef", version: version),
        .versionOfAnotherEntity(id: "abcdef", version: version, owner: "012345"), .versionIsDeletion(id: "abcdef", version: version),
    ]

    static let version = Dot(replica: ReplicaID(String(repeating: "0", count: 25) + "1")!, seq: 3)

    static let syncErrors: [SyncError] = [
        .noRemote, .noToken(url: "http://h", corpus: "news"), .tokenUnavailable(reason: "locked"),
        .unreachable(url: "http://h", reason: "refused"), .unauthorized("revoked"), .corpusNotFound(corpus: "news"),
        .forbidden("scope read"), .protocolMismatch("v2"), .tls("untrusted"), .rejected(status: 422, code: .invalidChange, message: "m"),
        .serverFailing(status: 503, attempts: 6), .invalidResponse("no cursor"), .store(.nothingToEdit), .cancelled,
    ]

    @Test(arguments: storeErrors.map(\.description) + syncErrors.map(\.description))
    func noCommandLineWording(_ message: String) {
        #expect(!message.contains("'gloss"), "a quoted command: \(message)")
        #expect(!message.contains("--"), "\(message)")
        #expect(!message.isEmpty && !message.contains("\n"))
    }

    @Test func errorsCarryTheirValues() {
        if case .quoteAmbiguous(let quote, let occurrences) = Self.storeErrors[9] {
            #expect(quote == "Musul" && occurrences.count == 2)
        } else {
            Issue.record("the list's order changed")
        }
        #expect(SyncError.unreachable(url: "http://h", reason: "r").isTransient)
        #expect(!SyncError.cancelled.isTransient)
    }
}
