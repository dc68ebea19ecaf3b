import Foundation
import GlossCore
import Testing

/// `kill -9` at random points: every acknowledged change survives, every batch is all or
/// nothing, and `gloss doctor` passes afterwards.
@Suite struct CrashTests {
    /// Starts `gloss` without waiting; output goes to files so nothing blocks.
    final class Running: @unchecked Sendable {
        let process = Process()
        let stdoutURL: URL
        let stderrURL: URL

        init(_ arguments: [String], in directory: TemporaryDirectory, name: String) throws {
            stdoutURL = directory.file("\(name).out")
            stderrURL = directory.file("\(name).err")
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            process.executableURL = Gloss.binary
            process.arguments = arguments
            process.environment = Gloss.environment()
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
        var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

        func kill() {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// A JSONL export of `count` small distinct articles.
    static func bigExport(count: Int) -> Data {
        var output: [UInt8] = []
        for number in 0..<count {
            let article = Article(
                title: "Crash test article \(number)", date: "2016-12",
                text: " date 2016-12 Crash test article \(number)\n\nMusul'da bir paragraf \(number).\n")
            var object = article.content
            object["type"] = "article"
            object["id"] = .string(article.id)
            CanonicalJSON.write(.object(object), to: &output)
            output.append(UInt8(ascii: "\n"))
        }
        return Data(output)
    }

    @Test func anImportKilledMidwayKeepsWholeBatchesAndResumes() async throws {
        var (random, hint) = ChaosRandom.crash("CrashTests/anImportKilledMidway")
        try await withTemporaryDirectory { directory in
            let store = try await Store.create(in: directory)
            let total = 5_000
            let file = directory.file("big.jsonl")
            try Self.bigExport(count: total).write(to: file)
            // Kill after a random number of committed batches (progress is printed after each commit).
            let killAfter = Int.random(in: 1...3, using: &random) * 1_000
            let running = try Running(["import", file.path, "--store", store.path], in: directory, name: "import")
            var acknowledged = 0
            let deadline = Date().addingTimeInterval(120)
            while running.process.isRunning, Date() < deadline {
                let lines = running.stderr.split(separator: "\n").filter { $0.hasPrefix("import: ") }
                if let last = lines.last, let done = Int(last.dropFirst("import: ".count).split(separator: "/")[0]) {
                    acknowledged = done
                    if done >= killAfter { break }
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            running.kill()
            let doctor = try await store.run(["doctor"])
            #expect(doctor.status == 0, "\(doctor) (killed after \(killAfter); \(hint))")
            let imported = try await store.status()["articles"] as? Int ?? -1
            #expect(imported >= acknowledged, "acknowledged \(acknowledged) but only \(imported) survived (\(hint))")
            #expect(imported % 1_000 == 0, "a batch was torn: \(imported) articles (\(hint))")
            let resumed = try await store.object(["import", file.path])
            #expect(resumed["unchanged"] as? Int == imported, "\(resumed) (\(hint))")
            #expect(resumed["articles"] as? Int == total - imported, "\(resumed) (\(hint))")
            #expect(try await store.status()["articles"] as? Int == total, "\(hint)")
            try await store.ok(["doctor"])
        }
    }

    @Test func acknowledgedAnnotationsSurviveKillsOfOtherWriters() async throws {
        var (random, hint) = ChaosRandom.crash("CrashTests/acknowledgedAnnotationsSurviveKills")
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            var acknowledged: [String] = []
            for round in 0..<24 {
                let running = try Running(
                    ["annotate", article, "--start", String(round), "--end", String(round + 5), "--note", "round \(round)",
                     "--store", store.path, "--json"],
                    in: directory, name: "annotate\(round)")
                if round % 2 == 1 {
                    try await Task.sleep(for: .microseconds(Int.random(in: 0...40_000, using: &random)))
                    running.kill()
                } else {
                    running.process.waitUntilExit()
                }
                if running.process.terminationReason == .exit, running.process.terminationStatus == 0 {
                    let object = try JSONSerialization.jsonObject(with: Data(running.stdout.utf8)) as? [String: Any]
                    acknowledged.append(try #require(object?["id"] as? String))
                }
            }
            #expect(acknowledged.count >= 12, "\(hint)")
            let doctor = try await store.run(["doctor"])
            try #require(doctor.status == 0, "\(doctor) (\(hint))")
            let stored = Set(try await store.objects(["annotations"]).compactMap { $0["id"] as? String })
            for id in acknowledged { #expect(stored.contains(id), "acknowledged annotation \(id) was lost (\(hint))") }
        }
    }
}
