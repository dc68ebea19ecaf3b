import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection after a response that says `Connection: close` (a 413 for a body
/// the server stopped reading), or that answers a request which said so, without leaving
/// the client stuck in the middle of sending.
///
/// Hummingbird neither closes the connection for such a response nor reads on after it
/// when the request asked to close: a client still writing its body then blocks on a full
/// socket until its own timeout (Python's urllib writes an 80 MiB body whole before it
/// reads, and says `Connection: close`). So after the response this handler half-closes
/// (the client reads the answer, then end of stream), reads and throws away whatever the
/// client still sends, so that it can finish writing and read the answer, and closes
/// fully when the client does, when it sends nothing for `idle`, or after `linger`.
/// (Closing at once would reset the connection and could lose the answer unread.)
final class CloseAfterResponse: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The longest the rest of a request is read and discarded after the answer.
    let linger: TimeAmount
    /// Closes sooner when the client has sent nothing for this long.
    let idle: TimeAmount

    private var requestSaysClose = false
    private var responseSaysClose = false
    private var draining = false
    private var idleTask: Scheduled<Void>?
    private var lingerTask: Scheduled<Void>?

    init(linger: TimeAmount = .seconds(10), idle: TimeAmount = .seconds(2)) {
        self.linger = linger
        self.idle = idle
    }

    /// Whether a `Connection` header lists `close`.
    static func saysClose(_ fields: HTTPFields) -> Bool {
        fields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" }.lowercased() == "close" }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After the answer nothing more of this connection is handled.
        guard !draining else { return }
        if case .head(let request) = unwrapInboundIn(data) { requestSaysClose = Self.saysClose(request.headerFields) }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard draining else { return context.fireChannelReadComplete() }
        scheduleIdleClose(context)
        // The request stream above no longer reads (its consumer is gone): ask for more here.
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            // A 100 Continue is not the answer.
            if response.status.kind != .informational { responseSaysClose = Self.saysClose(response.headerFields) }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard (responseSaysClose || requestSaysClose), !draining else { return context.write(data, promise: promise) }
            context.writeAndFlush(data, promise: promise)
            startDraining(context)
        }
    }

    private func startDraining(_ context: ChannelHandlerContext) {
        draining = true
        context.close(mode: .output, promise: nil)
        let loop = context.eventLoop.assumeIsolated()
        lingerTask = loop.scheduleTask(in: linger) { context.close(promise: nil) }
        scheduleIdleClose(context)
        context.read()
    }

    private func scheduleIdleClose(_ context: ChannelHandlerContext) {
        idleTask?.cancel()
        idleTask = context.eventLoop.assumeIsolated().scheduleTask(in: idle) { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    private func cancelTimers() {
        idleTask?.cancel()
        lingerTask?.cancel()
        idleTask = nil
        lingerTask = nil
    }
}
