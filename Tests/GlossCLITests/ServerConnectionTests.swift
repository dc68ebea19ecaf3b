import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A body over `--max-body-bytes` is answered 413 and the connection is closed after
/// the answer: a client that writes its whole body before reading gets the answer
/// promptly instead of waiting for its own timeout.
@Suite struct ServerConnectionTests {
    static let bodyBytes = 80 * 1024 * 1024

    /// What a client saw that sent a whole body before reading anything.
    struct Exchange: CustomStringConvertible {
        var sent = 0
        var writeError: Int32?
        var response = Data()
        /// The server ended the connection: end of stream, or a reset.
        var ended = false
        var readError: Int32?
        var seconds = 0.0

        var head: String { String(decoding: response.prefix(while: { $0 != 0x0D }), as: UTF8.self) }
        var description: String {
            "sent \(sent) bytes (write error \(writeError.map(String.init) ?? "none")), then read \(response.count) bytes, "
                + "ended \(ended) (read error \(readError.map(String.init) ?? "none")) after \(String(format: "%.2f", seconds)) s: "
                + String(decoding: response.prefix(300), as: UTF8.self)
        }
    }

    /// POSTs `bytes` of body to the push route on a raw socket in 64 KiB writes, reading
    /// nothing until the body is sent or a write fails, then reads until the server ends
    /// the connection. Each read or write gives up after 5 s (an open connection).
    static func postWithoutReading(port: Int, token: String, bytes: Int, connectionClose: Bool) throws -> Exchange {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let noSignal = Int32(MSG_NOSIGNAL)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
            let noSignal: Int32 = 0
        #endif
        try #require(descriptor >= 0, "socket: errno \(errno)")
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect: errno \(errno)")

        let head = Array(
            ("POST /v1/corpora/news/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Gloss-Protocol: 1\r\nContent-Type: application/json\r\nContent-Length: \(bytes)\r\n"
                + (connectionClose ? "Connection: close\r\n" : "") + "\r\n").utf8)
        try #require(send(descriptor, head, head.count, noSignal) == head.count)
        var exchange = Exchange()
        let start = Date()
        let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 * 1024)
        while exchange.sent < bytes {
            let written = send(descriptor, chunk, min(chunk.count, bytes - exchange.sent), noSignal)
            guard written > 0 else {
                exchange.writeError = errno
                break
            }
            exchange.sent += written
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                exchange.response.append(contentsOf: buffer[0..<count])
            } else {
                if count == 0 { exchange.ended = true } else { exchange.readError = errno }
                if errno == ECONNRESET { exchange.ended = true }
                break
            }
        }
        exchange.seconds = Date().timeIntervalSince(start)
        return exchange
    }

    /// Runs blocking socket work on its own thread, off the tests' shared executor.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    @Test(arguments: [false, true]) func aBodyOverTheLimitIsAnswered413AndTheConnectionCloses(connectionClose: Bool) async throws {
        try await withSyncServer { server, _ in
            let token = try await server.token(user: "ayse")
            let port = server.port
            let exchange = try await Self.onThread {
                try Self.postWithoutReading(port: port, token: token, bytes: Self.bodyBytes, connectionClose: connectionClose)
            }
            print("ServerConnectionTests (Connection: \(connectionClose ? "close" : "keep-alive")): \(exchange)")
            #expect(exchange.head == "HTTP/1.1 413 Payload Too Large", "\(exchange)")
            let text = String(decoding: exchange.response, as: UTF8.self).lowercased()
            #expect(text.contains("connection: close") && text.contains("too_large"), "\(exchange)")
            #expect(exchange.writeError != EAGAIN, "writing the body stalled: the server stopped reading it: \(exchange)")
            #expect(exchange.ended, "the server should end the connection after its 413: \(exchange)")
            #expect(exchange.seconds < 10, "\(exchange)")
            // The server serves on.
            #expect(try await server.get("/v1/healthz").status == 200)
        }
    }

    /// Python's urllib writes the whole body, with `Connection: close`, before it reads.
    @Test func urllibGetsThe413Promptly() async throws {
        try await withSyncServer { server, _ in
            let token = try await server.token(user: "ayse")
            let script = """
                import sys, time, urllib.request, urllib.error
                request = urllib.request.Request(sys.argv[1] + "/v1/corpora/news/changes", data=b" " * (80 << 20), method="POST",
                    headers={"Authorization": "Bearer " + sys.argv[2], "Gloss-Protocol": "1", "Content-Type": "application/json"})
                start = time.monotonic()
                try:
                    urllib.request.urlopen(request, timeout=30)
                    print("no error")
                except urllib.error.HTTPError as error:
                    print(f"HTTPError {error.code} after {time.monotonic() - start:.2f} s")
                except Exception as error:
                    print(f"{type(error).__name__} {error} after {time.monotonic() - start:.2f} s")
                """
            let result = try await Runner.tool("python3", ["-c", script, server.url, token])
            print("ServerConnectionTests urllib: \(result.stdout)")
            #expect(result.status == 0 && result.stdout.hasPrefix("HTTPError 413 after"), "\(result)")
        }
    }
}
