import GlossSync

/// A transport that answers from a script instead of the network, and records what it was asked.
final class ScriptedTransport: Transport {
    private(set) var requests: [HTTPRequest] = []
    private let answer: (HTTPRequest) throws(TransportError) -> HTTPResponse

    init(_ answer: @escaping (HTTPRequest) throws(TransportError) -> HTTPResponse) {
        self.answer = answer
    }

    func perform(_ request: HTTPRequest, cancellation _: SyncCancellation) throws(TransportError) -> HTTPResponse {
        requests.append(request)
        return try answer(request)
    }
}
