import Foundation
import Testing

/// What a finished process left behind.
struct ProcessResult: Sendable, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdoutData: Data
    let stderrData: Data

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }

    /// The non-empty lines written to standard error.
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    /// Standard output parsed as JSON.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: stdoutData, options: [.fragmentsAllowed])
    }

    /// Standard output as a JSON object.
    func object() throws -> [String: Any] {
        try #require(try json() as? [String: Any], "expected a JSON object from \(arguments), got: \(stdout)")
    }

    /// Standard output as a JSON array of objects.
    func objects() throws -> [[String: Any]] {
        try #require(try json() as? [[String: Any]], "expected a JSON array from \(arguments), got: \(stdout)")
    }

    var description: String {
        "\(arguments.joined(separator: " ")) → exit \(status)\n--- stdout ---\n\(stdout.prefix(2000))\n--- stderr ---\n\(stderr.prefix(2000))"
    }
}

/// Runs processes with their output captured in files (no pipe can fill up and block).
enum Runner {
    /// Where capture files go; each is removed when its process has been read.
    private static let captureFolder = FileManager.default.temporaryDirectory

    /// Runs `executable` with `arguments`; `environment` replaces the child's environment entirely.
    static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String], stdin: Data? = nil,
        currentDirectory: URL? = nil
    ) async throws -> ProcessResult {
        let id = "gloss-cli-capture-\(UUID().uuidString)"
        let outURL = captureFolder.appendingPathComponent("\(id).out")
        let errURL = captureFolder.appendingPathComponent("\(id).err")
        let inURL = captureFolder.appendingPathComponent("\(id).in")
        defer {
            for url in [outURL, errURL, inURL] { try? FileManager.default.removeItem(at: url) }
        }
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        var inHandle: FileHandle? = nil
        if let stdin {
            try stdin.write(to: inURL)
            inHandle = try FileHandle(forReadingFrom: inURL)
        }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle ?? FileHandle.nullDevice

        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                continuation.resume(returning: finished.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try outHandle.close()
        try errHandle.close()
        try inHandle?.close()
        return ProcessResult(
            arguments: [executable.lastPathComponent] + arguments, status: status,
            stdoutData: try Data(contentsOf: outURL), stderrData: try Data(contentsOf: errURL))
    }

    /// Runs a tool found on PATH (python3, sha256sum, …) with the inherited environment.
    static func tool(_ name: String, _ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        try await run(
            URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments, environment: ProcessInfo.processInfo.environment,
            stdin: stdin)
    }
}

/// The `gloss` executable under test.
enum Gloss {
    /// `$GLOSS_BIN`, else the `gloss` in a folder at or above the test runner's, else the
    /// package's `.build/debug/gloss`.
    static let binary: URL = {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["GLOSS_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()]
        if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
        for start in starts {
            var folder = start
            while folder.path != "/" {
                let candidate = folder.appendingPathComponent("gloss")
                var isFolder: ObjCBool = false
                if fileManager.fileExists(atPath: candidate.path, isDirectory: &isFolder), !isFolder.boolValue,
                    fileManager.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return Fixtures.packageRoot.appendingPathComponent(".build/debug/gloss")
    }()

    /// The environment every `gloss` run gets: the runner's, without `GLOSS_STORE`, and with
    /// `XDG_DATA_HOME` pointing nowhere useful so no test ever touches a real default store.
    static func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["GLOSS_STORE"] = nil
        environment["XDG_DATA_HOME"] = "/nonexistent/gloss-cli-tests-xdg"
        for (key, value) in overrides { environment[key] = value }
        return environment
    }

    /// Runs `gloss ARGUMENTS`.
    @discardableResult
    static func run(
        _ arguments: [String], stdin: Data? = nil, environment overrides: [String: String] = [:],
        removing removed: [String] = [], in folder: URL? = nil
    ) async throws -> ProcessResult {
        var environment = environment(overrides)
        for key in removed { environment[key] = nil }
        return try await Runner.run(binary, arguments, environment: environment, stdin: stdin, currentDirectory: folder)
    }

    /// Runs `gloss ARGUMENTS` and requires exit 0.
    @discardableResult
    static func ok(_ arguments: [String], environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> ProcessResult
    {
        let result = try await run(arguments, environment: environment)
        try #require(result.status == 0, "expected success: \(result)", sourceLocation: sourceLocation)
        return result
    }
}
