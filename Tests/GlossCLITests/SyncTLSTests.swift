import Foundation
import Testing

/// HTTPS: a server with a certificate made in the test, a client that trusts it only
/// when told to (`--cacert`), and a clear refusal otherwise.
@Suite struct SyncTLSTests {
    /// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl.
    static func makeCertificates(in directory: TemporaryDirectory) async throws -> (ca: String, certificate: String, key: String) {
        let ca = directory.path("ca.pem"), caKey = directory.path("ca.key")
        let key = directory.path("server.key"), request = directory.path("server.csr")
        let certificate = directory.path("server.pem"), extensions = directory.path("ext.cnf")
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=Gloss Test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", certificate, "-days", "2",
             "-extfile", extensions],
        ] {
            let result = try await Runner.tool("openssl", arguments)
            try #require(result.status == 0, "openssl failed: \(result)")
        }
        return (ca, certificate, key)
    }

    @Test func aClientSyncsOverHTTPSOnlyWithTheServersCA() async throws {
        try await withTemporaryDirectory { directory in
            let files = try await Self.makeCertificates(in: directory)
            let data = directory.path("server-data")
            let server = SyncServer.binary
            _ = try await Runner.run(server, ["corpus", "create", "news", "--data", data], environment: Gloss.environment())
            let token = try await Runner.run(
                server, ["token", "create", "--corpus", "news", "--user", "ayse", "--data", data], environment: Gloss.environment()
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(token.hasPrefix("gloss_"))

            let out = directory.file("serve.out")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            let process = Process()
            process.executableURL = server
            process.arguments = ["serve", "--data", data, "--port", "0", "--tls-cert", files.certificate, "--tls-key", files.key]
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            var url: String? = nil
            let deadline = Date().addingTimeInterval(30)
            while url == nil, Date() < deadline, process.isRunning {
                let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("gloss-server listening on https://") }) {
                    url = String(line.dropFirst("gloss-server listening on ".count))
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let base = try #require(url, "the TLS server did not start")

            let store = try await Store.create(in: directory, name: "a.gloss")
            try await store.ok(["import", Fixtures.seedPath])
            // Not trusted: refused at once, with what to do, and nothing marked pushed.
            try await store.ok(["remote", "set", base, "--corpus", "news", "--token", token])
            let refused = try await store.run(["sync"])
            #expect(refused.status == 1)
            #expect(refused.stderrLines.count == 1)
            #expect(refused.stderr.contains("certificate") && refused.stderr.contains("--cacert"), "\(refused)")
            #expect(try await store.status()["unpushed"] as? Int == 1)

            // Trusted through --cacert: the sync goes through.
            try await store.ok(["remote", "set", base, "--corpus", "news", "--token", token, "--cacert", files.ca])
            let report = try await store.object(["sync"])
            #expect(report["pushed"] as? Int == 1)
            #expect(try await store.status()["unpushed"] as? Int == 0)

            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }
}
