import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fault-injecting TCP proxy on 127.0.0.1 in front of a `gloss-server`.
///
/// Each connection gets its own thread. The proxy reads every HTTP/1.1 request whole
/// (head and `Content-Length` body; libcurl sends no chunked requests), then draws a
/// fault for it from one seeded generator, so a run with the same seed and the same
/// sequence of requests injects the same faults. Requests on a kept-alive connection
/// each get their own draw; a fault that breaks the connection makes libcurl open a new
/// one. Faults only ever break or slow a connection: bytes that are forwarded are never
/// altered. Call `stop()` when done: the threads keep the proxy alive until then.
final class ChaosProxy: @unchecked Sendable {
    /// What happens to one request.
    enum Fault: String, CaseIterable, Sendable, Comparable {
        /// Forwarded both ways untouched.
        case pass
        /// Held back (10–80 ms unless `setFaults` says otherwise), then forwarded.
        case delay
        /// The connection is closed before any byte of the request reaches the server.
        case drop
        /// Part of the request (a prefix of its body, or of its head when it has none)
        /// reaches the server, then both sides are closed.
        case cutRequest
        /// The whole request reaches the server; the connection is closed when the first
        /// byte of the answer arrives: the server did the work, the client never hears.
        case cutBeforeResponse
        /// The client gets the answer's head and part of its body, then the connection closes.
        case cutInResponse

        /// The faults that make a request fail.
        static let breaking: [Fault] = [.drop, .cutRequest, .cutBeforeResponse, .cutInResponse]

        static func < (a: Fault, b: Fault) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// A drawn fault with its parameters.
    struct Decision {
        var fault: Fault
        /// Where to cut, as a fraction of the body (0..<1).
        var fraction = 0.0
        var delayMilliseconds = 0
        /// Close with RST (SO_LINGER 0) instead of FIN.
        var reset = false
    }

    let seed: UInt64
    private(set) var port = 0
    private let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var generator: ChaosRandom
    private var rate = 0.0
    private var delays = 10...80
    private var kinds = Fault.allCases.filter { $0 != .pass }
    private var injected: [Fault: Int] = [:]
    private var resetCount = 0
    private var connectionCount = 0
    private var liveThreads = 0
    private var stopping = false

    var url: String { "http://127.0.0.1:\(port)" }

    struct SocketFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Listens on a free loopback port and forwards to `upstreamPort` there; faults are off
    /// until `setFaults` turns them on.
    init(upstreamPort: Int, seed: UInt64) throws {
        self.upstreamPort = upstreamPort
        self.seed = seed
        generator = ChaosRandom(seed: seed)
        listener = socket(AF_INET, Self.streamType, 0)
        guard listener >= 0 else { throw SocketFailure(description: "socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw SocketFailure(description: "bind/listen on 127.0.0.1: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        liveThreads = 1
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Injects a fault into each request with probability `rate`, drawn evenly from `kinds`;
    /// a `.delay` holds the request back for a number of milliseconds drawn from `delays`.
    func setFaults(rate: Double, kinds: [Fault] = Fault.allCases.filter { $0 != .pass }, delays: ClosedRange<Int> = 10...80) {
        lock.withLock {
            self.rate = rate
            self.kinds = kinds
            self.delays = delays
        }
    }

    /// How many requests got each fault (`pass` included), counted when it took effect.
    var counts: [Fault: Int] { lock.withLock { injected } }
    /// How many of the connections cut were cut with RST.
    var resets: Int { lock.withLock { resetCount } }
    var connections: Int { lock.withLock { connectionCount } }
    /// Requests that were broken (failed from the client's point of view).
    var broken: Int { lock.withLock { Fault.breaking.reduce(0) { $0 + injected[$1, default: 0] } } }

    /// `pass 40, delay 7, drop 5, …; 6 with RST, 61 connections`
    var summary: String {
        lock.withLock {
            Fault.allCases.map { "\($0.rawValue) \(injected[$0, default: 0])" }.joined(separator: ", ")
                + "; \(resetCount) with RST, \(connectionCount) connections"
        }
    }

    /// Stops accepting, closes every connection and waits (up to 5 s) for their threads.
    func stop() {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        let deadline = Date().addingTimeInterval(5)
        while lock.withLock({ liveThreads }) > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        close(listener)
    }

    // MARK: Faults

    private func draw() -> Decision {
        lock.withLock {
            guard rate > 0, Double.random(in: 0..<1, using: &generator) < rate, let fault = kinds.randomElement(using: &generator) else {
                return Decision(fault: .pass)
            }
            return Decision(
                fault: fault, fraction: Double.random(in: 0..<1, using: &generator),
                delayMilliseconds: Int.random(in: delays, using: &generator),
                reset: fault != .delay && Int.random(in: 0..<3, using: &generator) == 0)
        }
    }

    private func record(_ decision: Decision) {
        lock.withLock {
            injected[decision.fault, default: 0] += 1
            if decision.reset { resetCount += 1 }
        }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    // MARK: Sockets

    #if canImport(Glibc)
        private static let streamType = Int32(SOCK_STREAM.rawValue)
        /// A write to a closed peer fails with EPIPE instead of killing the test runner.
        fileprivate static let noSignal = Int32(MSG_NOSIGNAL)
    #else
        private static let streamType = SOCK_STREAM
        fileprivate static let noSignal: Int32 = 0  // the test runner ignores SIGPIPE there
    #endif

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    private func acceptLoop() {
        defer { lock.withLock { liveThreads -= 1 } }
        while !isStopping {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            let server = socket(AF_INET, Self.streamType, 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard server >= 0, connected == 0 else {
                if server >= 0 { close(server) }
                close(client)
                continue
            }
            lock.withLock {
                connectionCount += 1
                liveThreads += 1
            }
            Thread.detachNewThread { [self] in
                defer { lock.withLock { liveThreads -= 1 } }
                Relay(proxy: self, client: client, server: server).run()
            }
        }
    }

    /// One proxied connection: the client's requests, the server's answers, and the fault
    /// of the request in flight.
    private final class Relay {
        enum ResponseCut {
            case beforeFirstByte
            /// At `fraction` of the body (a prefix of the head when the body is empty).
            case inside(fraction: Double)
        }

        let proxy: ChaosProxy
        let client: Int32
        let server: Int32
        /// Bytes from the client not yet forwarded.
        var request: [UInt8] = []
        /// Set when a request's framing is not understood: everything is forwarded as is.
        var raw = false
        /// The cut waiting for the answer of the request in flight, and that answer's bytes so far.
        var cut: (ResponseCut, Decision)?
        var response: [UInt8] = []

        init(proxy: ChaosProxy, client: Int32, server: Int32) {
            self.proxy = proxy
            self.client = client
            self.server = server
        }

        func run() {
            var reset = false
            defer {
                if reset {
                    var option = linger(l_onoff: 1, l_linger: 0)
                    for fd in [client, server] { setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size)) }
                }
                close(client)
                close(server)
            }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while !proxy.isStopping {
                var pollers = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
                guard poll(&pollers, 2, 100) > 0 else { continue }
                if pollers[0].revents != 0 {
                    let count = recv(client, &buffer, buffer.count, 0)
                    guard count > 0 else { return }
                    if raw {
                        guard Self.sendAll(server, buffer[0..<count]) else { return }
                    } else {
                        request += buffer[0..<count]
                        if let ending = forwardRequests() {
                            reset = ending
                            return
                        }
                    }
                }
                if pollers[1].revents != 0 {
                    let count = recv(server, &buffer, buffer.count, 0)
                    guard count > 0 else { return }
                    if let ending = forwardResponse(buffer[0..<count]) {
                        reset = ending
                        return
                    }
                }
            }
        }

        /// Forwards every complete request in `request`, each with its fault. Returns
        /// whether to reset when a fault ends the connection, nil to go on.
        func forwardRequests() -> Bool? {
            while let head = Self.head(of: request) {
                guard let length = head.contentLength, !head.chunked else {
                    raw = true
                    let pending = request
                    request = []
                    return Self.sendAll(server, pending[...]) ? nil : false
                }
                let total = head.size + length
                guard request.count >= total else { return nil }
                let message = request[0..<total]
                request.removeFirst(total)
                let decision = proxy.draw()
                switch decision.fault {
                case .pass, .delay:
                    if decision.fault == .delay { Thread.sleep(forTimeInterval: Double(decision.delayMilliseconds) / 1000) }
                    proxy.record(decision)
                    guard Self.sendAll(server, message) else { return false }
                case .drop:
                    proxy.record(decision)
                    return decision.reset
                case .cutRequest:
                    _ = Self.sendAll(server, message.prefix(Self.cutPoint(head: head.size, body: length, at: decision.fraction)))
                    proxy.record(decision)
                    Thread.sleep(forTimeInterval: 0.02)  // let the server read the part before it sees the close
                    return decision.reset
                case .cutBeforeResponse, .cutInResponse:
                    cut = (decision.fault == .cutBeforeResponse ? .beforeFirstByte : .inside(fraction: decision.fraction), decision)
                    response = []
                    guard Self.sendAll(server, message) else { return false }
                }
            }
            return nil
        }

        /// Forwards answer bytes, or holds them until the pending cut's point. Returns
        /// whether to reset when the cut ends the connection, nil to go on.
        func forwardResponse(_ bytes: ArraySlice<UInt8>) -> Bool? {
            guard let (point, decision) = cut else { return Self.sendAll(client, bytes) ? nil : false }
            response += bytes
            switch point {
            case .beforeFirstByte:
                proxy.record(decision)
                return decision.reset
            case .inside(let fraction):
                guard let head = Self.head(of: response) else { return nil }
                let end: Int
                if let length = head.contentLength, !head.chunked {
                    end = Self.cutPoint(head: head.size, body: length, at: fraction)
                } else {
                    let available = response.count - head.size
                    guard available > 0 else { return nil }
                    end = head.size + Int(fraction * Double(available))
                }
                guard response.count >= end else { return nil }
                _ = Self.sendAll(client, response[0..<end])
                proxy.record(decision)
                return decision.reset
            }
        }

        /// Where to cut a message: at `fraction` of its body, or of its head when it has
        /// no body, so the peer never gets all of it.
        static func cutPoint(head: Int, body: Int, at fraction: Double) -> Int {
            body > 0 ? head + Int(fraction * Double(body)) : max(1, Int(fraction * Double(head)))
        }

        /// The size of the HTTP head at the start of `bytes` (through the blank line) and
        /// what it says about the body; nil until the head is complete.
        static func head(of bytes: [UInt8]) -> (size: Int, contentLength: Int?, chunked: Bool)? {
            let blank: [UInt8] = [13, 10, 13, 10]
            guard bytes.count >= 4, let start = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(blank) }) else {
                return nil
            }
            let text = String(decoding: bytes[0..<start], as: UTF8.self).lowercased()
            var length: Int?
            var chunked = false
            for line in text.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                if parts[0] == "content-length" { length = Int(parts[1]) }
                if parts[0] == "transfer-encoding" { chunked = parts[1].contains("chunked") }
            }
            // A request without a length has no body (GET); an answer without one is read to its end.
            let isRequest = !text.hasPrefix("http/")
            return (start + 4, length ?? (isRequest && !chunked ? 0 : nil), chunked)
        }

        /// Writes all of `bytes`; false when the peer is gone. Never raises SIGPIPE.
        static func sendAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
            var offset = bytes.startIndex
            while offset < bytes.endIndex {
                let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, ChaosProxy.noSignal) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }
}
